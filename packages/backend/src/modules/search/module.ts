import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { searchEngineRegistryExtensionPoint } from '@backstage/plugin-search-backend-node/alpha';
import { ForgivingLunrSearchEngine } from './ForgivingLunrSearchEngine';

/** On SQLite (the embedded default) search runs in memory; PostgreSQL deployments use the pg module instead. */
export const searchEngineModule = createBackendModule({
  pluginId: 'search',
  moduleId: 'forge-lunr',
  register(reg) {
    reg.registerInit({
      deps: {
        engines: searchEngineRegistryExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ engines, config, logger }) {
        if (config.getString('backend.database.client') === 'pg') return;
        engines.setSearchEngine(new ForgivingLunrSearchEngine({ logger }));
      },
    });
  },
});
