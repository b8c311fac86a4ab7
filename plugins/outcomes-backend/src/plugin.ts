import {
  coreServices,
  createBackendPlugin,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { ForgeGuard } from '@internal/plugin-forge-node';
import { outcomesPermissions } from '@internal/plugin-outcomes-common';
import { registerOutcomesActions } from './actions';
import { DatabaseOutcomesStore } from './database/DatabaseOutcomesStore';
import { createRouter, OutcomesAccess } from './router';
import { BackstageForgeSources } from './service/BackstageForgeSources';
import { OutcomesCollector } from './service/OutcomesCollector';
import { OutcomesService } from './service/OutcomesService';
import { SurveyService } from './service/SurveyService';

/**
 * The outcomes backend: the platform's own figures (speed, self-service, adoption, compliance, audit readiness,
 * cost, satisfaction) per team and organisation-wide, from the data Forge already has; serves /api/outcomes and the
 * get-platform-outcomes action.
 *
 * @public
 */
export const outcomesPlugin = createBackendPlugin({
  pluginId: 'outcomes',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init(deps) {
        const { config, logger } = deps;
        const settings = config.getOptionalConfig('forge.outcomes');
        deps.permissionsRegistry.addPermissions(outcomesPermissions);

        const store = await DatabaseOutcomesStore.create({
          database: deps.database,
        });
        const sources = new BackstageForgeSources({
          discovery: deps.discovery,
          auth: deps.auth,
          catalog: deps.catalog,
        });
        const service = new OutcomesService({ store, sources });
        const surveys = new SurveyService({ store });
        const collector = new OutcomesCollector({
          store,
          sources,
          service,
          logger,
          frameworks: settings?.getOptionalStringArray('frameworks') ?? [
            'SOC2',
            'NIST-800-53',
          ],
        });
        const guard = ForgeGuard.fromConfig(config, deps);
        const access = new OutcomesAccess({
          guard,
          permissions: deps.permissions,
          userInfo: deps.userInfo,
          service,
        });

        // One replica at a time (scope global), claimed through the database; every part is idempotent.
        await deps.scheduler.scheduleTask({
          id: 'forge-outcomes-collect',
          ...(settings?.has('schedule')
            ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
                settings.getConfig('schedule'),
              )
            : {
                frequency: { minutes: 10 },
                timeout: { minutes: 10 },
                initialDelay: { minutes: 1 },
              }),
          // After the configured schedule, so configuration cannot make every replica collect.
          scope: 'global',
          fn: () => collector.collect(),
        });

        registerOutcomesActions({
          actionsRegistry: deps.actionsRegistry,
          guard,
          access,
          service,
        });
        deps.httpRouter.use(
          await createRouter({
            guard,
            access,
            service,
            surveys,
            openApiPath: resolvePackagePath(
              '@internal/plugin-outcomes-backend',
              'openapi.yaml',
            ),
          }),
        );
        deps.httpRouter.addAuthPolicy({
          path: '/openapi.json',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
