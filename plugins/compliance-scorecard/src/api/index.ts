export { complianceApiRef } from './ComplianceApi';
export type { ComplianceApi } from './ComplianceApi';
