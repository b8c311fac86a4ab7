/**
 * Forge compliance scorecards in the portal: entity card and tab, team failing checks, the managers' dashboard,
 * the exemption queue and evidence export.
 *
 * @packageDocumentation
 */
export { compliancePlugin as default } from './plugin';
export { complianceApiRef } from './api';
export type { ComplianceApi } from './api';
