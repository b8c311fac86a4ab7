export { createForgeCostEstimateAction } from './forgeCostEstimate';
export { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';
export { createForgeComplianceEvaluateAction } from './forgeComplianceEvaluate';
export { createForgePublishPlanAction } from './forgePublishPlan';
export { createForgePublishAction } from './forgePublish';
export { createForgeCatalogRegisterAction } from './forgeCatalogRegister';
export { createForgeEvidenceCollectAction } from './forgeEvidenceCollect';
