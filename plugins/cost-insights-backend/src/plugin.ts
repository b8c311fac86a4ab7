import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { costPermissions } from '@internal/plugin-cost-insights-common';
import { registerCostActions } from './actions/registerCostActions';
import { CostCatalog } from './catalog/CostCatalog';
import { readCostConfig } from './config';
import { DatabaseCostStore } from './database/DatabaseCostStore';
import { CostIngester } from './ingestion/CostIngester';
import { CostSourceScanner } from './ingestion/CostSourceScanner';
import { demoBillingTags } from './demo/generateDemoFocusRows';
import { CostRouteGuard } from './router/CostRouteGuard';
import { createRouter } from './router/createRouter';
import { AnomalyService } from './service/AnomalyService';
import { BudgetService } from './service/BudgetService';
import { CostAlertService } from './service/CostAlertService';
import { CostInsightsCompatService } from './service/CostInsightsCompatService';
import { CostQueryService } from './service/CostQueryService';
import { CostViewService } from './service/CostViewService';
import { RecommendationService } from './service/RecommendationService';

const ALERTS_TASK = 'cost-insights-alerts';

/**
 * The cost backend: FOCUS ingestion (folder, URLs, uploads, demo data), attribution to catalog entities,
 * daily rollups, budgets, forecasts, anomalies, recommendations, alerts, REST API and actions.
 *
 * @public
 */
export const costInsightsPlugin = createBackendPlugin({
  pluginId: 'cost-insights',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        urlReader: coreServices.urlReader,
        catalogService: catalogServiceRef,
        notifications: notificationService,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init(deps) {
        const { config, logger, scheduler } = deps;
        deps.permissionsRegistry.addPermissions(costPermissions);
        const settings = readCostConfig(config);

        const store = await DatabaseCostStore.create({
          database: deps.database,
        });
        const catalog = new CostCatalog({
          catalog: deps.catalogService,
          auth: deps.auth,
          entityKinds: settings.attribution.entityKinds,
        });
        const ingester = new CostIngester({
          store,
          catalog,
          attribution: settings.attribution,
          gpuPattern: settings.gpuPattern,
          logger,
        });
        const query = new CostQueryService({
          store,
          catalog,
          currency: settings.currency,
          costMetric: settings.costMetric,
        });
        const budgets = new BudgetService({ store, query });
        const anomalies = new AnomalyService({
          query,
          settings: {
            baselineDays: settings.alerts.anomalyBaselineDays,
            minimumExcess: settings.alerts.anomalyMinimumExcess,
            minimumScore: settings.alerts.anomalyMinimumScore,
          },
        });
        const views = new CostViewService({ query, budgets });
        const recommendations = new RecommendationService({ query, budgets });
        const compat = new CostInsightsCompatService({
          query,
          catalog,
          budgets,
          anomalies,
          budgetThresholds: settings.alerts.budgetThresholds,
        });
        const alerts = new CostAlertService({
          store,
          query,
          budgets,
          anomalies,
          notifications: deps.notifications,
          logger,
          settings: settings.alerts,
        });
        const scanner = new CostSourceScanner({
          store,
          ingester,
          urlReader: deps.urlReader,
          logger,
          settings: {
            folder: settings.ingestion.folder,
            locations: settings.ingestion.locations,
            queries: settings.ingestion.queries,
            demoData: settings.demoData,
          },
          catalogReady: () =>
            catalog.waitForCostTags({
              tags: demoBillingTags(),
              timeoutMs: 120_000,
            }),
        });

        await scheduler.scheduleTask({
          id: ALERTS_TASK,
          scope: 'global',
          ...settings.alerts.schedule,
          fn: async () => {
            const sent = await alerts.run();
            if (sent > 0) logger.info(`Sent ${sent} cost alerts`);
          },
        });
        for (const q of settings.ingestion.queries) {
          if (q.engine !== 'duckdb') {
            logger.warn(
              `forge.cost.ingestion.queries ${q.name}: engine ${q.engine} is not executed by Forge (only duckdb is); the query is skipped. docs/cost.md shows how to run it in ${q.engine} and export its result`,
            );
          }
        }
        await scanner.prepare();
        await scheduler.scheduleTask({
          id: 'cost-insights-ingestion',
          ...settings.ingestion.schedule,
          // Local: no task lock in the database for a crashed process to leave held. Each replica scans, and the
          // database arbitrates which one ingests a source (CostStore.startIngestion); an ingestion's lease expires
          // within 30 s of a crash, and the next scan of any replica fails its record and reads the source again.
          scope: 'local',
          fn: async () => {
            const records = await scanner.scan();
            if (records.some(r => r.status === 'succeeded')) {
              await scheduler.triggerTask(ALERTS_TASK);
            }
          },
        });

        // One guard (forge-node) for the routes and the actions: permission, audit, actor naming.
        const guard = new CostRouteGuard(deps);
        registerCostActions({
          actionsRegistry: deps.actionsRegistry,
          guard: guard.guard,
          query,
          views,
          budgets,
        });

        deps.httpRouter.use(
          await createRouter({
            guard,
            store,
            ingester,
            query,
            views,
            budgets,
            anomalies,
            recommendations,
            compat,
            logger,
            maxUploadBytes: settings.ingestion.maxUploadBytes,
            openApiPath: resolvePackagePath(
              '@internal/plugin-cost-insights-backend',
              'openapi.yaml',
            ),
            onIngested: () => {
              scheduler
                .triggerTask(ALERTS_TASK)
                .catch(error =>
                  logger.warn('Could not start the cost alerts task', error),
                );
            },
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
