import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  TechdocsGenerator,
  techdocsGeneratorExtensionPoint,
} from '@backstage/plugin-techdocs-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  isMkdocsInstalled,
  MkdocsCheckingGenerator,
} from './MkdocsCheckingGenerator';
import { warmUpDocs } from './warmUpDocs';

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
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        catalog: catalogServiceRef,
      },
      async init({
        generators,
        config,
        logger,
        scheduler,
        auth,
        discovery,
        catalog,
      }) {
        if (!isMkdocsInstalled()) {
          logger.warn(
            'mkdocs is not installed: documentation pages will explain how to install it ' +
              '(sudo apt-get install mkdocs mkdocs-material)',
          );
        }
        // Build every entity's docs soon after start, then twice a day, so readers and search find them ready.
        if (isMkdocsInstalled()) {
          await scheduler.scheduleTask({
            id: 'forge-techdocs-warm-up',
            scope: 'global',
            frequency: { hours: 12 },
            timeout: { minutes: 15 },
            initialDelay: { seconds: 25 },
            fn: async () => {
              const { built, failed } = await warmUpDocs({
                catalog,
                auth,
                discovery,
                logger,
              });
              logger.info(
                `Built the docs of ${built} entities${
                  failed ? `, ${failed} failed` : ''
                }`,
              );
            },
          });
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
