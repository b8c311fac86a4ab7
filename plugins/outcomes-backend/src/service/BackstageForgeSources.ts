import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  BudgetInfo,
  CatalogGroup,
  CatalogProject,
  ControlCoverage,
  ExemptionInfo,
  FailingCheckInfo,
  ForgeSources,
  ScaffolderTask,
  ScaffolderTaskEvent,
} from './ForgeSources';

const BLUEPRINT_ANNOTATION = 'forge.io/blueprint';
const PAGE = 500;

function parentOf(entity: Entity): string | undefined {
  return entity.relations?.find(r => r.type === 'childOf')?.targetRef;
}

/**
 * The real sources: the catalog through its service, the scaffolder, compliance and cost plugins through their
 * REST APIs with this plugin's own service token (ForgeGuard gives `plugin:outcomes` reads and evidence timing only, see
 * DEFAULT_SERVICE_PERMISSIONS in plugin-forge-node).
 */
export class BackstageForgeSources implements ForgeSources {
  constructor(
    private readonly deps: {
      discovery: DiscoveryService;
      auth: AuthService;
      catalog: CatalogService;
    },
  ) {}

  private async request(pluginId: string, path: string): Promise<Response> {
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: await this.deps.auth.getOwnServiceCredentials(),
      targetPluginId: pluginId,
    });
    const base = await this.deps.discovery.getBaseUrl(pluginId);
    const res = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res;
  }

  private async json<T>(pluginId: string, path: string): Promise<T> {
    return (await this.request(pluginId, path)).json() as Promise<T>;
  }

  async scaffolderTasks(): Promise<ScaffolderTask[]> {
    const tasks: ScaffolderTask[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.json<{
        tasks: Array<{
          id: string;
          status: string;
          createdAt: string;
          createdBy?: string;
          spec?: {
            templateInfo?: { entityRef?: string };
            parameters?: Record<string, unknown>;
          };
        }>;
        totalTasks?: number;
      }>(
        'scaffolder',
        `/v2/tasks?limit=${PAGE}&offset=${offset}&order=asc:created_at`,
      );
      tasks.push(
        ...page.tasks.map(t => ({
          id: t.id,
          status: t.status,
          createdAt: t.createdAt,
          createdBy: t.createdBy || undefined,
          templateRef: t.spec?.templateInfo?.entityRef,
          parameters: t.spec?.parameters ?? {},
        })),
      );
      if (page.tasks.length < PAGE) return tasks;
    }
  }

  async scaffolderTaskEvents(taskId: string): Promise<ScaffolderTaskEvent[]> {
    return this.json<ScaffolderTaskEvent[]>(
      'scaffolder',
      `/v2/tasks/${encodeURIComponent(taskId)}/events`,
    );
  }

  private async entities(kind: string, fields: string[]): Promise<Entity[]> {
    const { items } = await this.deps.catalog.getEntities(
      { filter: { kind }, fields },
      { credentials: await this.deps.auth.getOwnServiceCredentials() },
    );
    return items;
  }

  async groups(): Promise<CatalogGroup[]> {
    const items = await this.entities('Group', [
      'kind',
      'metadata.name',
      'metadata.namespace',
      'metadata.title',
      'spec.type',
      'spec.profile.displayName',
      'relations',
    ]);
    return items.map(e => ({
      ref: stringifyEntityRef(e),
      title:
        (e.spec?.profile as { displayName?: string } | undefined)
          ?.displayName ??
        e.metadata.title ??
        e.metadata.name,
      type: e.spec?.type as string | undefined,
      parentRef: parentOf(e),
    }));
  }

  async projects(): Promise<CatalogProject[]> {
    const items = await this.entities('Component', [
      'kind',
      'metadata.name',
      'metadata.namespace',
      'metadata.annotations',
      'relations',
    ]);
    return items.map(e => ({
      ref: stringifyEntityRef(e),
      ownerRef: e.relations?.find(r => r.type === 'ownedBy')?.targetRef,
      blueprint: e.metadata.annotations?.[BLUEPRINT_ANNOTATION],
    }));
  }

  async exemptions(): Promise<ExemptionInfo[]> {
    const body = await this.json<ExemptionInfo[] | { items: ExemptionInfo[] }>(
      'compliance',
      '/exemptions',
    );
    return Array.isArray(body) ? body : body.items;
  }

  async failingChecks(groupRef: string): Promise<FailingCheckInfo[]> {
    const [, rest] = groupRef.split(':');
    const [namespace, name] = rest.split('/');
    const body = await this.json<
      FailingCheckInfo[] | { items: FailingCheckInfo[] }
    >(
      'compliance',
      `/groups/${encodeURIComponent(namespace)}/${encodeURIComponent(
        name,
      )}/failing-checks`,
    );
    return Array.isArray(body) ? body : body.items;
  }

  async controlCoverage(): Promise<ControlCoverage[]> {
    const { items } = await this.json<{
      items: Array<{
        controls: Array<{ id: string; framework: string }>;
        checks: Array<{ controls: string[] }>;
      }>;
    }>('compliance', '/policy-packs');
    const byFramework = new Map<
      string,
      { all: Set<string>; covered: Set<string> }
    >();
    for (const pack of items) {
      const evidenced = new Set(pack.checks.flatMap(c => c.controls));
      for (const control of pack.controls) {
        const entry = byFramework.get(control.framework) ?? {
          all: new Set<string>(),
          covered: new Set<string>(),
        };
        entry.all.add(control.id);
        if (evidenced.has(control.id)) entry.covered.add(control.id);
        byFramework.set(control.framework, entry);
      }
    }
    return [...byFramework].map(([framework, { all, covered }]) => ({
      framework,
      controls: all.size,
      covered: covered.size,
    }));
  }

  async timeEvidenceExport(
    framework: string,
  ): Promise<{ durationMs: number; bytes: number }> {
    // Compliance times the export itself and answers only its duration and size: this plugin may time evidence
    // (forge.compliance.evidence.time), not receive it.
    const { durationMs, bytes } = await this.json<{
      durationMs: number;
      bytes: number;
    }>(
      'compliance',
      `/evidence/timing?framework=${encodeURIComponent(
        framework,
      )}&format=oscal`,
    );
    return { durationMs, bytes };
  }

  async budgets(): Promise<BudgetInfo[]> {
    const statuses = await this.json<
      Array<{
        entityRef: string;
        month: string;
        currency: string;
        monthlyAmount: number;
        monthToDate: number;
        forecastMonthEnd: { amount: number };
      }>
    >('cost-insights', '/budgets');
    return statuses.map(s => ({
      entityRef: s.entityRef,
      month: s.month,
      currency: s.currency,
      monthlyAmount: s.monthlyAmount,
      monthToDate: s.monthToDate,
      forecastMonthEnd: s.forecastMonthEnd.amount,
    }));
  }
}
