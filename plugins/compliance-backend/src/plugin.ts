import path from 'node:path';
import {
  coreServices,
  createBackendPlugin,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { compliancePermissions } from '@internal/plugin-compliance-common';
import { ForgeGuard } from '@internal/plugin-forge-node';
import { DatabaseComplianceStore } from './database/DatabaseComplianceStore';
import { registerComplianceActions } from './actions';
import { createRouter } from './router';
import { BackstageCatalogReader } from './service/CatalogReader';
import { ComplianceService } from './service/ComplianceService';
import { DashboardService } from './service/DashboardService';
import { EvidenceService } from './service/EvidenceService';
import { ExemptionService } from './service/ExemptionService';
import { BackstageComplianceNotifier } from './service/Notifier';
import { PolicyPackLoader } from './service/PolicyPackLoader';
import { DemoHistory } from './service/demoFacts';
import { CheckpointPublisher } from './service/checkpoints';
import { HistoryKeys } from './service/historyKeys';
import { HistoryService } from './service/HistoryService';

/**
 * The compliance backend: evaluates every catalog entity against the policy packs on a schedule, when entities
 * change and on demand; stores results, history, facts, exemptions and gate evidence; serves /api/compliance.
 *
 * @public
 */
export const compliancePlugin = createBackendPlugin({
  pluginId: 'compliance',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        notifications: notificationService,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init(deps) {
        const { config, logger, scheduler, lifecycle } = deps;
        const settings = config.getOptionalConfig('forge.compliance');
        const directory = path.resolve(
          settings?.getOptionalString('policyDirectory') ?? '../../policies',
        );

        deps.permissionsRegistry.addPermissions(compliancePermissions);
        // One guard for the routes and the actions: permission (services only what forge.permissions.services
        // grants them), audit, actor naming.
        const guard = ForgeGuard.fromConfig(config, {
          httpAuth: deps.httpAuth,
          permissions: deps.permissions,
          auditor: deps.auditor,
        });
        // The history's keys live outside the database; checkpoints go where its writer cannot rewrite them.
        const dataDir = path.resolve(
          config.getOptionalString('forge.dataDir') ?? '../../.data',
        );
        const keys = HistoryKeys.load({ config, dataDir, logger });
        const store = await DatabaseComplianceStore.create({
          database: deps.database,
          keys,
          logger,
        });
        const checkpoints = new CheckpointPublisher({
          store,
          keys,
          logger,
          file: path.resolve(
            settings?.getOptionalString('history.checkpoints.file') ??
              path.join(dataDir, 'compliance', 'checkpoints.jsonl'),
          ),
          webhookUrl: settings?.getOptionalString(
            'history.checkpoints.webhookUrl',
          ),
        });
        store.onAppended(() => checkpoints.afterWrite());
        const history = new HistoryService({ store, keys, checkpoints });
        lifecycle.addShutdownHook(() => checkpoints.stop());
        const loader = new PolicyPackLoader(directory, logger, {
          onLoaded: packs =>
            store.recordPolicyPacks(packs, new Date().toISOString()),
        });
        await loader.reload();
        await checkpoints.checkpoint();
        const catalog = new BackstageCatalogReader(deps.catalog, deps.auth);
        // The embedded default's demo: its facts, and the weeks of history that make the trend a trend, replayed
        // through the service before the first scheduled evaluation (see DemoHistory).
        const demoFacts = settings?.getOptionalString('demoFacts');
        const demoHistory = demoFacts
          ? new DemoHistory({
              store,
              loader,
              catalog,
              logger,
              file: path.resolve(demoFacts),
              weeks: 11,
            })
          : undefined;
        const notifier = new BackstageComplianceNotifier(
          deps.notifications,
          logger,
          config.getOptionalStringArray(
            'forge.permissions.roles.compliance',
          ) ?? ['group:default/compliance-risk'],
        );
        const compliance = new ComplianceService({
          store,
          loader,
          catalog,
          notifier,
          logger,
        });
        const exemptions = new ExemptionService({
          store,
          loader,
          catalog,
          notifier,
          maxDays: settings?.getOptionalNumber('exemptions.maxDays') ?? 180,
          warnDaysBeforeExpiry:
            settings?.getOptionalNumber('exemptions.warnDaysBeforeExpiry') ??
            14,
          reevaluate: entityRef => compliance.evaluateEntities([entityRef]),
        });
        const evidence = new EvidenceService({
          store,
          loader,
          catalog,
          history,
          organization:
            config.getOptionalString('organization.name') ?? 'Forge',
        });
        const dashboard = new DashboardService({ store, loader, catalog });

        const schedule = (key: string, fallback: { minutes: number }) =>
          settings?.has(key)
            ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
                settings.getConfig(key),
              )
            : {
                frequency: fallback,
                timeout: { minutes: 15 },
                initialDelay: { seconds: 15 },
              };

        // Each job runs on one replica at a time (scope global), claimed through the database.
        await scheduler.scheduleTask({
          id: 'forge-compliance-evaluate-all',
          scope: 'global',
          ...schedule('schedule', { minutes: 60 }),
          fn: async () => {
            await loader.reload();
            if (demoHistory && !(await demoHistory.seedIfFresh())) return;
            const result = await compliance.evaluateAll();
            logger.info(
              `Evaluated ${result.evaluated} entities: ${result.changedResults} results changed, ${result.removed} entities removed`,
            );
            await exemptions.notifyExpiring(
              async ref => (await store.getSummary(ref))?.ownerRef,
            );
          },
        });
        await scheduler.scheduleTask({
          id: 'forge-compliance-evaluate-changed',
          scope: 'global',
          ...schedule('changeSchedule', { minutes: 1 }),
          fn: async () => {
            if (demoHistory && !(await demoHistory.seedIfFresh())) return;
            await compliance.evaluateChanged();
          },
        });

        await scheduler.scheduleTask({
          id: 'forge-compliance-history-checkpoint',
          scope: 'global',
          ...schedule('history.checkpoints.schedule', { minutes: 10 }),
          fn: async () => {
            await checkpoints.checkpoint();
          },
        });

        registerComplianceActions({
          actionsRegistry: deps.actionsRegistry,
          guard,
          compliance,
          dashboard,
          exemptions,
        });
        deps.httpRouter.use(
          await createRouter({
            guard,
            store,
            loader,
            compliance,
            exemptions,
            evidence,
            dashboard,
            history,
          }),
        );
      },
    });
  },
});
