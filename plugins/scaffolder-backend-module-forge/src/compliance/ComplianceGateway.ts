import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import {
  ComplianceClient,
  Exemption,
  ExemptionRequest,
  ExemptionStatus,
  Fact,
  GateEvaluationRecord,
  PolicyPack,
} from '@internal/plugin-compliance-common';

/**
 * What the compliance gate needs from the compliance backend: the policy packs the scorecards use, the exemption
 * queue (exemptions and gate approvals) and somewhere to leave the evidence of each evaluation.
 */
export interface ComplianceGateway {
  listPolicyPacks(): Promise<PolicyPack[]>;
  listExemptions(filter: {
    entityRef?: string;
    checkId?: string;
    status?: ExemptionStatus;
  }): Promise<Exemption[]>;
  requestExemption(request: ExemptionRequest): Promise<Exemption>;
  recordGateEvaluation(record: GateEvaluationRecord): Promise<{ id: string }>;
  /** Scores an entity now, so a newly registered project has its scorecard when its owner first opens it. */
  evaluateNow(entityRef: string): Promise<unknown>;
  /** Leaves the first evidence of a project the blueprint just registered (its secret scan and SBOM). */
  pushFact(entityRef: string, fact: Fact): Promise<unknown>;
}

/**
 * The compliance backend (`/api/compliance`) through the shared ComplianceClient, authenticated as the scaffolder
 * with a plugin-to-plugin token.
 */
export function createComplianceBackendGateway(options: {
  discovery: DiscoveryService;
  auth: AuthService;
}): ComplianceGateway {
  const { discovery, auth } = options;
  return new ComplianceClient({
    discoveryApi: discovery,
    fetchApi: {
      fetch: async (input, init) => {
        const { token } = await auth.getPluginRequestToken({
          onBehalfOf: await auth.getOwnServiceCredentials(),
          targetPluginId: 'compliance',
        });
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        return fetch(input, { ...init, headers });
      },
    },
  });
}
