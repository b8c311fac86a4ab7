import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createForgeCatalogRegisterAction,
  createForgeEvidenceCollectAction,
  createForgeComplianceEvaluateAction,
  createForgeCostEstimateAction,
  createForgeEnvironmentPlanAction,
  createForgePublishAction,
  createForgePublishPlanAction,
} from './actions';
import { createComplianceBackendGateway } from './compliance/ComplianceGateway';
import { CatalogGroupBudgets, CostInsightsGroupBudgets } from './cost/GroupBudgets';
import { LocalGitPublisher } from './publish/LocalGitPublisher';
import { createScmPublishActions, ScmPublisher } from './publish/ScmPublisher';
import { BlueprintPreview } from './preview/BlueprintPreview';
import { createPreviewRouter } from './preview/createPreviewRouter';
import { readBlueprintSettings } from './settings';

/**
 * The forge:* scaffolder actions: cost estimate, environment plan, compliance gate, publishing and registration.
 *
 * @public
 */
export const scaffolderModuleForge = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'forge',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        auditor: coreServices.auditor,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        urlReader: coreServices.urlReader,
      },
      async init({
        scaffolder,
        config,
        catalog,
        auditor,
        discovery,
        auth,
        logger,
        httpRouter,
        httpAuth,
        permissions,
        urlReader,
      }) {
        const settings = readBlueprintSettings(config);
        const compliance = createComplianceBackendGateway({ discovery, auth });
        const budgets = new CostInsightsGroupBudgets({
          discovery,
          auth,
          logger,
          catalog: new CatalogGroupBudgets(catalog),
        });
        const { provider } = settings.publish;
        const publishers =
          provider === 'local'
            ? {
                local: new LocalGitPublisher({
                  settings: settings.publish,
                  dataDir: settings.dataDir,
                  author: settings.gitAuthor,
                }),
              }
            : {
                scm: new ScmPublisher({
                  settings: settings.publish,
                  dataDir: settings.dataDir,
                  actions: createScmPublishActions(provider, config),
                }),
              };
        scaffolder.addActions(
          createForgeCostEstimateAction({ settings, budgets, auditor }),
          createForgeEnvironmentPlanAction({ settings, catalog, auditor }),
          createForgeComplianceEvaluateAction({ settings, catalog, compliance, auditor }),
          createForgePublishPlanAction({ settings }),
          createForgePublishAction({ settings, publishers, auditor }),
          createForgeCatalogRegisterAction({ settings, catalog, auditor, compliance }),
          createForgeEvidenceCollectAction(),
        );
        // The review page's estimate and compliance result: /api/scaffolder/forge/preview.
        httpRouter.use(
          createPreviewRouter({
            preview: new BlueprintPreview({ catalog, auth, discovery, urlReader }),
            httpAuth,
            permissions,
            auditor,
            config,
          }),
        );
      },
    });
  },
});
