import { ResponseError } from '@backstage/errors';
import {
  ChainVerification,
  ComplianceDashboard,
  FailingCheck,
  HistoryEntry,
  Scorecard,
} from './api';
import {
  EntityEvaluation,
  Exemption,
  ExemptionKind,
  ExemptionRequest,
  ExemptionStatus,
  Fact,
  Framework,
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
 * What an evidence export covers: `org`, `group:<ref>` or `entity:<ref>`, optionally one framework or control,
 * as of a date (default now), as OSCAL assessment-results JSON or CSV.
 *
 * @public
 */
export interface EvidenceQuery {
  scope?: string;
  framework?: Framework;
  control?: string;
  asOf?: string;
  format?: 'oscal' | 'csv';
}

/** A downloaded evidence file. @public */
export interface EvidenceFile {
  blob: Blob;
  filename: string;
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
      kind?: ExemptionKind;
    } = {},
  ): Promise<Exemption[]> {
    return (
      await this.request<{ items: Exemption[] }>(
        `/exemptions${queryString(filter)}`,
      )
    ).items;
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

  async revokeExemption(id: string, note?: string): Promise<Exemption> {
    return this.request<Exemption>(
      `/exemptions/${encodeURIComponent(id)}/revoke`,
      { method: 'POST', body: note === undefined ? {} : { note } },
    );
  }

  /** The entity's scorecard now, or rebuilt from history as of a past date. */
  async getScorecard(
    entityRef: string,
    options: { asOf?: string } = {},
  ): Promise<Scorecard> {
    return this.request<Scorecard>(
      `/scorecards/${encodeEntityRef(entityRef)}${queryString(options)}`,
    );
  }

  /** Evaluates the entity now and returns its new scorecard. */
  async evaluateNow(entityRef: string): Promise<Scorecard> {
    return this.request<Scorecard>(
      `/scorecards/${encodeEntityRef(entityRef)}/evaluate`,
      { method: 'POST' },
    );
  }

  /** Pushes a fact about an entity (a scan result, an SBOM) and returns its new score and level. */
  async pushFact(
    entityRef: string,
    fact: Fact,
  ): Promise<{
    entityRef: string;
    fact: string;
    score?: number;
    level?: string;
  }> {
    return this.request(`/facts/${encodeEntityRef(entityRef)}`, {
      method: 'POST',
      body: fact,
    });
  }

  /** Changes of the entity's check results, newest first. */
  async getHistory(
    entityRef: string,
    options: { limit?: number } = {},
  ): Promise<HistoryEntry[]> {
    return (
      await this.request<{ items: HistoryEntry[] }>(
        `/scorecards/${encodeEntityRef(entityRef)}/history${queryString(
          options,
        )}`,
      )
    ).items;
  }

  /** Evaluates an entity-shaped document without storing anything. */
  async dryRun(
    entity: object,
    mode: 'catalog' | 'request' = 'catalog',
  ): Promise<EntityEvaluation> {
    return this.request<EntityEvaluation>('/dry-run', {
      method: 'POST',
      body: { entity, mode },
    });
  }

  /** Teams (with every nested sub-team) against control families, trends and the worst entities. */
  async getDashboard(
    options: { group?: string; weeks?: number } = {},
  ): Promise<ComplianceDashboard> {
    return this.request<ComplianceDashboard>(
      `/dashboard${queryString(options)}`,
    );
  }

  /** Failing checks of every entity owned by the group or any of its sub-teams. */
  async getGroupFailingChecks(groupRef: string): Promise<FailingCheck[]> {
    const [, namespace, name] = encodeEntityRef(groupRef).split('/');
    return (
      await this.request<{ items: FailingCheck[] }>(
        `/groups/${namespace}/${name}/failing-checks`,
      )
    ).items;
  }

  /** Downloads an evidence export (OSCAL JSON or CSV) with the file name the server chose. */
  async exportEvidence(query: EvidenceQuery = {}): Promise<EvidenceFile> {
    const res = await this.send(`/evidence${queryString({ ...query })}`, {});
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename =
      disposition.match(/filename="([^"]+)"/)?.[1] ??
      `forge-evidence.${query.format === 'csv' ? 'csv' : 'oscal.json'}`;
    return { blob: await res.blob(), filename };
  }

  /** Verifies the hash chain of the history; reports the first broken link. */
  async verifyHistory(): Promise<ChainVerification> {
    return this.request<ChainVerification>('/history/verify');
  }

  private async request<T>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<T> {
    const res = await this.send(path, init);
    return (await res.json()) as T;
  }

  private async send(
    path: string,
    init: { method?: string; body?: unknown },
  ): Promise<Response> {
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
    return res;
  }
}

/** `?a=1&b=2` from the defined values of an object, or '' when there are none. */
function queryString(
  params: Record<string, string | number | undefined>,
): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
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
