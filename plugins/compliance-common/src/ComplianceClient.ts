import { ResponseError } from '@backstage/errors';
import {
  EntityEvaluation,
  Exemption,
  ExemptionRequest,
  ExemptionStatus,
  GateEvaluationRecord,
  PolicyPack,
} from './types';

/**
 * The two things the client needs from its host: where the compliance backend is, and a fetch that
 * authenticates (the frontend's fetchApi, or a backend fetch that adds a service token).
 *
 * @public
 */
export interface ComplianceClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
}

/**
 * Talks to the compliance backend (`/api/compliance`). Isomorphic: the portal, the scaffolder gate and tests
 * use the same client.
 *
 * @public
 */
export class ComplianceClient {
  constructor(private readonly options: ComplianceClientOptions) {}

  async listPolicyPacks(): Promise<PolicyPack[]> {
    return (await this.request<{ items: PolicyPack[] }>('/policy-packs')).items;
  }

  async listExemptions(
    filter: {
      entityRef?: string;
      checkId?: string;
      status?: ExemptionStatus;
    } = {},
  ): Promise<Exemption[]> {
    const query = new URLSearchParams(
      Object.entries(filter).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
    return (await this.request<{ items: Exemption[] }>(`/exemptions?${query}`))
      .items;
  }

  async requestExemption(request: ExemptionRequest): Promise<Exemption> {
    return this.request<Exemption>('/exemptions', {
      method: 'POST',
      body: request,
    });
  }

  async decideExemption(
    id: string,
    decision: { status: 'approved' | 'rejected'; note?: string },
  ): Promise<Exemption> {
    return this.request<Exemption>(
      `/exemptions/${encodeURIComponent(id)}/decision`,
      {
        method: 'POST',
        body: decision,
      },
    );
  }

  async recordGateEvaluation(
    record: GateEvaluationRecord,
  ): Promise<{ id: string }> {
    return this.request<{ id: string }>('/gate-evaluations', {
      method: 'POST',
      body: record,
    });
  }

  async getScorecard(entityRef: string): Promise<EntityEvaluation> {
    return this.request<EntityEvaluation>(
      `/scorecards/${encodeEntityRef(entityRef)}`,
    );
  }

  async evaluateNow(entityRef: string): Promise<EntityEvaluation> {
    return this.request<EntityEvaluation>(
      `/scorecards/${encodeEntityRef(entityRef)}/evaluate`,
      { method: 'POST' },
    );
  }

  private async request<T>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('compliance');
    const res = await this.options.fetchApi.fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers:
        init.body === undefined
          ? undefined
          : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return (await res.json()) as T;
  }
}

/** `kind:namespace/name` as a path: `kind/namespace/name`. @public */
export function encodeEntityRef(entityRef: string): string {
  const match = entityRef.match(/^([^:]+):([^/]+)\/(.+)$/);
  if (!match)
    throw new Error(
      `'${entityRef}' is not a full entity ref (kind:namespace/name)`,
    );
  return match.slice(1).map(encodeURIComponent).join('/');
}
