import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogLocationsExtensionPoint,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
import { FileLocationGuard } from './FileLocationGuard';

/**
 * The embedded default publishes blueprint projects to git repositories under the data folder and registers them
 * from their working copies: the catalog accepts `file` locations, but only below the folders FileLocationGuard allows.
 * With an enterprise SCM configured (forge.blueprints.publish.provider), only `url` locations are accepted, as usual.
 */
export const catalogLocalRepositoriesModule = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'forge-local-repositories',
  register(reg) {
    reg.registerInit({
      deps: {
        locations: catalogLocationsExtensionPoint,
        processing: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ locations, processing, config }) {
        processing.addProcessor(FileLocationGuard.fromConfig(config));
        const provider =
          config.getOptionalString('forge.blueprints.publish.provider') ??
          'local';
        if (provider === 'local') {
          locations.setAllowedLocationTypes(['url', 'file']);
        }
      },
    });
  },
});
