import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => (await import('./ForgeSignInPage')).ForgeSignInPage,
  },
});

/** Replaces the default sign-in page with one driven by `forge.signIn.providers`. */
export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [signInPage],
});
