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
import { BlueprintOwners, blueprintOwnerAnyPermission, createOwnersRouter } from './owners';
import { BlueprintPreview } from './preview/BlueprintPreview';
import { createPreviewRouter } from './preview/createPreviewRouter';
import { withUserFacingErrors } from './lib/userFacingErrors';
import { readBlueprintSettings } from './settings';
import { ForgeGuard } from '@internal/plugin-forge-node';

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
        permissionsRegistry: coreServices.permissionsRegistry,
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
        permissionsRegistry,
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
        // Who may own a new project: the person's teams and those below them; admins any (owners/BlueprintOwners).
        permissionsRegistry.addPermissions([blueprintOwnerAnyPermission]);
        // Permission, audit and actor naming of the module's routes and owner rule: the one Forge guard.
        const guard = ForgeGuard.fromConfig(config, { httpAuth, permissions, auditor });
        const owners = new BlueprintOwners({
          catalog,
          guard,
          adminGroups: config.getOptionalStringArray('forge.permissions.roles.admin') ?? [
            'group:default/platform-admins',
          ],
        });
        // Outcomes (a gate block, a refused estimate) reach the task page without a stack trace (lib/userFacingErrors).
        const actions = [
          createForgeCostEstimateAction({ settings, budgets, auditor, owners }),
          createForgeEnvironmentPlanAction({ settings, catalog, auditor, policies: compliance }),
          createForgeComplianceEvaluateAction({ settings, catalog, compliance, auditor, auth }),
          createForgePublishPlanAction({ settings, owners }),
          createForgePublishAction({ settings, publishers, auditor, owners }),
          createForgeCatalogRegisterAction({ settings, catalog, auditor, compliance }),
          createForgeEvidenceCollectAction(),
        ];
        scaffolder.addActions(...actions.map(action => withUserFacingErrors(action, logger)));
        // The form's owner picker: /api/scaffolder/forge/owners.
        httpRouter.use(createOwnersRouter({ owners, guard }));
        // The review page's estimate and compliance result: /api/scaffolder/forge/preview.
        httpRouter.use(
          createPreviewRouter({
            preview: new BlueprintPreview({ catalog, auth, discovery, urlReader }),
            guard,
            owners,
          }),
        );
      },
    });
  },
});
