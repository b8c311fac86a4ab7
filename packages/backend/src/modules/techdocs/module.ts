import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  TechdocsGenerator,
  techdocsGeneratorExtensionPoint,
} from '@backstage/plugin-techdocs-node';
import {
  isMkdocsInstalled,
  MkdocsCheckingGenerator,
} from './MkdocsCheckingGenerator';

/** Lets the portal start without mkdocs and tells readers how to install it. */
export const techdocsMkdocsCheckModule = createBackendModule({
  pluginId: 'techdocs',
  moduleId: 'forge-mkdocs-check',
  register(reg) {
    reg.registerInit({
      deps: {
        generators: techdocsGeneratorExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ generators, config, logger }) {
        if (!isMkdocsInstalled()) {
          logger.warn(
            'mkdocs is not installed: documentation pages will explain how to install it ' +
              '(sudo apt-get install mkdocs mkdocs-material)',
          );
        }
        generators.setTechdocsGenerator(
          new MkdocsCheckingGenerator(
            TechdocsGenerator.fromConfig(config, { logger }),
          ),
        );
      },
    });
  },
});
