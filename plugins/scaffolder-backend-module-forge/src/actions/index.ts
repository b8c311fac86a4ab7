export { createForgeCostEstimateAction } from './forgeCostEstimate';
export { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';
export { createForgeComplianceEvaluateAction } from './forgeComplianceEvaluate';
