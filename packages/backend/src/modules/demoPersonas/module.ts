import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint } from '@backstage/plugin-auth-node';
import { demoPersonaProviderFactory } from './demoPersonaProvider';

/** Registers the `forge-demo` sign-in provider when the configuration asks for it (embedded default only). */
export const demoPersonaAuthModule = createBackendModule({
  pluginId: 'auth',
  moduleId: 'forge-demo-personas',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ providers, config }) {
        if (!config.has('auth.providers.forge-demo')) return;
        providers.registerProvider({
          providerId: 'forge-demo',
          factory: demoPersonaProviderFactory,
        });
      },
    });
  },
});
