import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import { parseMonthlyBudget } from '@internal/plugin-cost-insights-common';

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
