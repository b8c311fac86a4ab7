import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createForgeComplianceEvaluateAction,
  createForgeCostEstimateAction,
  createForgeEnvironmentPlanAction,
} from './actions';
import { createComplianceBackendGateway } from './compliance/ComplianceGateway';
import { CatalogGroupBudgets } from './cost/GroupBudgets';
import { readBlueprintSettings } from './settings';

/**
 * The forge:* scaffolder actions: cost estimate, environment plan, compliance gate.
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
      },
      async init({ scaffolder, config, catalog, auditor, discovery, auth }) {
        const settings = readBlueprintSettings(config);
        const compliance = createComplianceBackendGateway({ discovery, auth });
        const budgets = new CatalogGroupBudgets(catalog);
        scaffolder.addActions(
          createForgeCostEstimateAction({ settings, budgets, auditor }),
          createForgeEnvironmentPlanAction({ settings, catalog, auditor }),
          createForgeComplianceEvaluateAction({ settings, catalog, compliance, auditor }),
        );
      },
    });
  },
});
