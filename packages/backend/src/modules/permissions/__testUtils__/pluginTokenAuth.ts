import {
  AuthService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthenticationError } from '@backstage/errors';

const ON_BEHALF = 'forge-test-on-behalf:';

/**
 * The test backend's mock tokens, except that a plugin calling another on behalf of a person keeps itself as the
 * person's `actor`, as Backstage's real plugin tokens do. Backstage relies on it: the permission backend may ask a
 * plugin to apply conditions only as an actor, never as the person directly, so with the plain mock tokens every
 * conditional decision (an entity's owners) is refused. Everything else is the mock auth service.
 */
export const pluginTokenAuthServiceFactory = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): AuthService {
    const pluginId = plugin.getId();
    const mock = mockServices.auth({ pluginId });
    return {
      async authenticate(token, options) {
        if (!token.startsWith(ON_BEHALF)) {
          return mock.authenticate(token, options);
        }
        const { user, actor, target } = JSON.parse(
          token.slice(ON_BEHALF.length),
        );
        if (target !== pluginId) {
          throw new AuthenticationError(
            `Token for plugin '${target}', not '${pluginId}'`,
          );
        }
        return mockCredentials.user(user, { actor: { subject: actor } });
      },
      async getPluginRequestToken(options) {
        const principal = options.onBehalfOf.principal as {
          type: string;
          userEntityRef?: string;
        };
        if (principal.type !== 'user') {
          return mock.getPluginRequestToken(options);
        }
        return {
          token: `${ON_BEHALF}${JSON.stringify({
            user: principal.userEntityRef,
            actor: `plugin:${pluginId}`,
            target: options.targetPluginId,
          })}`,
        };
      },
      getNoneCredentials: () => mock.getNoneCredentials(),
      getOwnServiceCredentials: () => mock.getOwnServiceCredentials(),
      isPrincipal: ((credentials: any, type: any) =>
        mock.isPrincipal(credentials, type)) as AuthService['isPrincipal'],
      getLimitedUserToken: credentials => mock.getLimitedUserToken(credentials),
      listPublicServiceKeys: () => mock.listPublicServiceKeys(),
    };
  },
});
