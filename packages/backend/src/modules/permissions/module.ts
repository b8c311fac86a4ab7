import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { ForgePermissionPolicy } from './ForgePermissionPolicy';
import { CatalogPersonResolver } from './CatalogPersonResolver';
import { readRoleGroups } from './roles';

/** Installs the Forge permission policy in the permission backend. */
export const forgePermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'forge-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
      },
      async init({ policy, config, userInfo, auth, catalog }) {
        const resolver = new CatalogPersonResolver({
          userInfo,
          auth,
          catalog,
          roleGroups: readRoleGroups(config),
        });
        policy.setPolicy(new ForgePermissionPolicy(resolver));
      },
    });
  },
});
