import { createApiRef } from '@backstage/frontend-plugin-api';
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

/** A range of days: `start` inclusive, `end` exclusive (both `YYYY-MM-DD`); the last 30 days when absent. */
export type DayRange = { start?: string; end?: string };

/**
 * What the cost views ask the cost backend. Entity and group refs are full refs (`component:default/x`).
 *
 * @public
 */
export interface CostApi {
  getEntitySummary(entityRef: string): Promise<EntityCostSummary>;
  getEntityBreakdown(
    entityRef: string,
    range?: DayRange,
  ): Promise<EntityCostBreakdown>;
  /** The daily rollup lines of an entity as a CSV file. */
  exportEntityCsv(
    entityRef: string,
    range?: DayRange,
  ): Promise<{ blob: Blob; fileName: string }>;
  getGroupSummary(groupRef: string, days?: number): Promise<GroupCostSummary>;
  getGroupAlerts(groupRef: string): Promise<CostAlert[]>;
  getOverview(days?: number): Promise<OrganizationCostOverview>;
  /** Recommendations for a group or entity, or the whole organisation when no scope is given. */
  getRecommendations(scope?: string): Promise<Recommendation[]>;
  getAnomalies(scope?: string, days?: number): Promise<CostAnomaly[]>;
  setBudget(entityRef: string, monthlyAmount: number): Promise<Budget>;
  deleteBudget(entityRef: string): Promise<void>;
  uploadExport(file: File): Promise<IngestionRecord>;
  listIngestions(limit?: number): Promise<IngestionRecord[]>;
}

/**
 * The cost API of the frontend.
 *
 * @public
 */
export const costApiRef = createApiRef<CostApi>().with({
  id: 'plugin.cost-insights.api',
  pluginId: 'cost-insights',
});
