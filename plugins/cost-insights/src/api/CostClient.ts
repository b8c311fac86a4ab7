import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  Budget,
  CostAlert,
  CostAnomaly,
  EntityCostBreakdown,
  EntityCostSummary,
  GroupCostSummary,
  IngestionRecord,
  OrganizationCostOverview,
  Recommendation,
} from '@internal/plugin-cost-insights-common';
import { CostApi, DayRange } from './CostApi';

const ref = (entityRef: string) => encodeURIComponent(entityRef);

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(
    (e): e is [string, string | number] => e[1] !== undefined,
  );
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}`;
}

/**
 * Talks to the cost backend through the discovery and fetch APIs (the fetch API adds the user's token).
 *
 * @public
 */
export class CostClient implements CostApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  getEntitySummary(entityRef: string): Promise<EntityCostSummary> {
    return this.json(`/entities/${ref(entityRef)}/summary`);
  }

  getEntityBreakdown(
    entityRef: string,
    range: DayRange = {},
  ): Promise<EntityCostBreakdown> {
    return this.json(`/entities/${ref(entityRef)}/breakdown${query(range)}`);
  }

  async exportEntityCsv(
    entityRef: string,
    range: DayRange = {},
  ): Promise<{ blob: Blob; fileName: string }> {
    const res = await this.fetch(
      `/entities/${ref(entityRef)}/export.csv${query(range)}`,
    );
    const disposition = res.headers.get('content-disposition') ?? '';
    const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'cost.csv';
    return { blob: await res.blob(), fileName };
  }

  getGroupSummary(groupRef: string, days?: number): Promise<GroupCostSummary> {
    return this.json(`/groups/${ref(groupRef)}/summary${query({ days })}`);
  }

  getGroupAlerts(groupRef: string): Promise<CostAlert[]> {
    return this.json(`/groups/${ref(groupRef)}/alerts`);
  }

  getOverview(days?: number): Promise<OrganizationCostOverview> {
    return this.json(`/overview${query({ days })}`);
  }

  getRecommendations(scope?: string): Promise<Recommendation[]> {
    return this.json(`/recommendations${query({ scope })}`);
  }

  getAnomalies(scope?: string, days?: number): Promise<CostAnomaly[]> {
    return this.json(`/anomalies${query({ scope, days })}`);
  }

  setBudget(entityRef: string, monthlyAmount: number): Promise<Budget> {
    return this.json(`/budgets/${ref(entityRef)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ monthlyAmount }),
    });
  }

  async deleteBudget(entityRef: string): Promise<void> {
    await this.fetch(`/budgets/${ref(entityRef)}`, { method: 'DELETE' });
  }

  uploadExport(file: File): Promise<IngestionRecord> {
    return this.json(`/ingestions${query({ name: file.name })}`, {
      method: 'POST',
      headers: {
        'Content-Type': file.name.endsWith('.gz')
          ? 'application/gzip'
          : 'text/csv',
      },
      body: file,
    });
  }

  listIngestions(limit?: number): Promise<IngestionRecord[]> {
    return this.json(`/ingestions${query({ limit })}`);
  }

  private async fetch(path: string, init?: RequestInit): Promise<Response> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('cost-insights');
    const res = await this.options.fetchApi.fetch(`${baseUrl}${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res;
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await this.fetch(path, init)).json() as Promise<T>;
  }
}
