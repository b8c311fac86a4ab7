import { SignInPage } from '@backstage/core-components';
import {
  configApiRef,
  microsoftAuthApiRef,
  oktaAuthApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import type { SignInPageProps } from '@backstage/core-plugin-api';

const PROVIDERS = {
  microsoft: {
    id: 'microsoft-auth-provider',
    title: 'Microsoft Entra ID',
    message: 'Sign in with your Meridian Mutual account',
    apiRef: microsoftAuthApiRef,
  },
  okta: {
    id: 'okta-auth-provider',
    title: 'Okta',
    message: 'Sign in with your Meridian Mutual account',
    apiRef: oktaAuthApiRef,
  },
} as const;

/**
 * Sign-in with the providers listed in `forge.signIn.providers`: `guest` on the embedded default,
 * `microsoft` (Entra ID) or `okta` in production.
 */
export function ForgeSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const names = config.getOptionalStringArray('forge.signIn.providers') ?? ['guest'];
  const providers = names.map(name =>
    name === 'guest' ? ('guest' as const) : PROVIDERS[name as keyof typeof PROVIDERS],
  );
  const unknown = names.filter(n => n !== 'guest' && !(n in PROVIDERS));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown sign-in provider(s) in forge.signIn.providers: ${unknown.join(', ')}. ` +
        `Use guest, microsoft or okta.`,
    );
  }
  return <SignInPage {...props} providers={providers} title="Sign in to Forge" align="center" />;
}
