import { Config } from '@backstage/config';
import { AuthenticationError, NotAllowedError } from '@backstage/errors';
import {
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

/** The request header carrying the persona the person picked on the sign-in page. */
export const PERSONA_HEADER = 'x-forge-demo-persona';

type PersonaResult = { name: string };

/**
 * Sign in as one of a configured list of demo personas (catalog users), so one person can walk through a journey
 * that needs two roles, e.g. an engineer requesting an exemption and a compliance manager approving it.
 *
 * It is an impersonation switch, so it is fenced in three ways: it only exists when `auth.providers.forge-demo`
 * is configured (the embedded default), it refuses to run outside development mode unless explicitly allowed,
 * and it only accepts the personas listed in its config.
 */
export const demoPersonaAuthenticator = createProxyAuthenticator<
  { personas: Set<string> },
  PersonaResult,
  undefined
>({
  defaultProfileTransform: async result => ({
    profile: { displayName: result.name },
  }),
  initialize({ config }: { config: Config }) {
    if (
      process.env.NODE_ENV !== 'development' &&
      config.getOptionalBoolean('dangerouslyAllowOutsideDevelopment') !== true
    ) {
      throw new NotAllowedError(
        'The forge-demo sign-in lets anyone act as the listed users; it only runs in development mode. Remove ' +
          'auth.providers.forge-demo from the configuration in production.',
      );
    }
    return { personas: new Set(config.getStringArray('personas')) };
  },
  async authenticate({ req }, { personas }) {
    const name = req.header(PERSONA_HEADER);
    if (!name)
      throw new AuthenticationError(`Missing the ${PERSONA_HEADER} header`);
    if (!personas.has(name))
      throw new NotAllowedError(`'${name}' is not one of the demo personas`);
    return { result: { name } };
  },
});

export const demoPersonaProviderFactory =
  createProxyAuthProviderFactory<PersonaResult>({
    authenticator: demoPersonaAuthenticator,
    // The persona must be a user of the catalog; their groups give them their roles.
    signInResolver: async ({ result }, ctx) =>
      ctx.signInWithCatalogUser({ entityRef: { name: result.name } }),
  });
