import { createApiRef } from '@backstage/frontend-plugin-api';
import type { ComplianceClient } from '@internal/plugin-compliance-common';

/**
 * What the portal asks of the compliance backend. `ComplianceClient` from compliance-common implements it; tests
 * provide partial fakes.
 *
 * @public
 */
export type ComplianceApi = Pick<
  ComplianceClient,
  | 'getScorecard'
  | 'evaluateNow'
  | 'getHistory'
  | 'listExemptions'
  | 'requestExemption'
  | 'decideExemption'
  | 'revokeExemption'
  | 'getDashboard'
  | 'getGroupFailingChecks'
  | 'exportEvidence'
  | 'verifyHistory'
  | 'listPolicyPacks'
>;

/** @public */
export const complianceApiRef = createApiRef<ComplianceApi>().with({
  id: 'plugin.compliance.api',
  pluginId: 'compliance',
});
