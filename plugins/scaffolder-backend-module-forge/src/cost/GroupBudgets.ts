import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import {
  BudgetStatus,
  parseMonthlyBudget,
} from '@internal/plugin-cost-insights-common';

/** What Forge knows about a group's money this month. */
export interface GroupBudget {
  groupRef: string;
  /** Monthly budget in the billing currency; undefined when the group has none. */
  monthlyBudget?: number;
  /** Spend so far this month; undefined when no billing data is available. */
  monthToDate?: number;
  currency?: string;
  /** The group's finance cost center (`forge.io/cost-center`), when the catalog has one. */
  costCenter?: string;
  /** Where the figures came from. */
  source: 'cost-insights' | 'catalog';
}

/** Where the cost estimate gets a group's budget and month-to-date spend. */
export interface GroupBudgets {
  getBudget(
    groupRef: string,
    credentials: BackstageCredentials,
  ): Promise<GroupBudget>;
}

/**
 * Reads the budget from the group's `forge.io/monthly-budget` annotation in the catalog. Month-to-date spend is
 * unknown from the catalog alone.
 */
export class CatalogGroupBudgets implements GroupBudgets {
  constructor(private readonly catalog: CatalogService) {}

  async getBudget(
    groupRef: string,
    credentials: BackstageCredentials,
  ): Promise<GroupBudget> {
    const group = await this.catalog.getEntityByRef(groupRef, { credentials });
    const raw = group?.metadata.annotations?.[FORGE_ANNOTATIONS.monthlyBudget];
    const reading = raw === undefined ? undefined : parseMonthlyBudget(raw);
    return {
      groupRef,
      monthlyBudget: reading?.ok ? reading.value : undefined,
      costCenter: group?.metadata.annotations?.[FORGE_ANNOTATIONS.costCenter],
      source: 'catalog',
    };
  }
}

/**
 * The cost backend's view (`GET /api/cost-insights/budgets/:entityRef`): the budget in force (set in Forge or from
 * the annotation) and the month-to-date spend from billing data, asked on behalf of the person running the
 * blueprint. Groups without a budget there, or a cost backend that cannot answer, fall back to the catalog.
 */
export class CostInsightsGroupBudgets implements GroupBudgets {
  constructor(
    private readonly options: {
      discovery: DiscoveryService;
      auth: AuthService;
      catalog: GroupBudgets;
      logger: LoggerService;
      fetch?: typeof fetch;
    },
  ) {}

  async getBudget(
    groupRef: string,
    credentials: BackstageCredentials,
  ): Promise<GroupBudget> {
    const { discovery, auth, catalog, logger } = this.options;
    const fromCatalog = await catalog.getBudget(groupRef, credentials);
    try {
      const baseUrl = await discovery.getBaseUrl('cost-insights');
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: credentials,
        targetPluginId: 'cost-insights',
      });
      const res = await (this.options.fetch ?? fetch)(
        `${baseUrl}/budgets/${encodeURIComponent(groupRef)}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      if (res.status === 404) return fromCatalog;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const status = (await res.json()) as Partial<BudgetStatus>;
      return {
        groupRef,
        monthlyBudget: status.monthlyAmount,
        monthToDate: status.monthToDate,
        currency: status.currency,
        costCenter: fromCatalog.costCenter,
        source: 'cost-insights',
      };
    } catch (error) {
      logger.warn(
        `The cost backend could not give the budget of ${groupRef} (${
          (error as Error).message
        }); using the catalog's forge.io/monthly-budget without month-to-date spend`,
      );
      return fromCatalog;
    }
  }
}
