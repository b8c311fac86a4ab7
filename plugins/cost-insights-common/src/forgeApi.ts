// Shapes of Forge's own cost endpoints (see plugins/cost-insights-backend/openapi.yaml).
import {
  ChangeStatistic,
  Cost,
  DateAggregation,
  ProjectGrowthData,
  Trendline,
  UnlabeledDataflowData,
} from './costInsightsApi';

/**
 * A forecast amount with its prediction interval (`confidence`, e.g. 0.8 for 80%).
 *
 * @public
 */
export interface ForecastValue {
  amount: number;
  lower: number;
  upper: number;
}

/**
 * Forecast of an entity's or a group's cost from its daily history.
 *
 * @public
 */
export interface CostForecast {
  /** Which model produced it, in words. */
  method: string;
  /** Probability the actual lands inside [lower, upper]. */
  confidence: number;
  currency: string;
  /** Days of history the model was fitted on (fewer than asked when the history is short). */
  historyDays: number;
  /** The last day with actual cost; forecasts start the day after. */
  asOf: string;
  month: string;
  monthToDate: number;
  /** Actual month to date plus the forecast for the month's remaining days. */
  monthEnd: ForecastValue;
  next30Days: ForecastValue;
  next90Days: ForecastValue;
  daily: Array<DateAggregation & { lower: number; upper: number }>;
}

/**
 * Where a budget comes from: the catalog annotation `forge.io/monthly-budget`, or set in Forge by a permitted
 * user (which takes precedence until removed).
 *
 * @public
 */
export type BudgetSource = 'catalog' | 'forge';

/** @public */
export interface Budget {
  entityRef: string;
  /** Display name of the entity or group. */
  name?: string;
  monthlyAmount: number;
  currency: string;
  source: BudgetSource;
  updatedBy?: string;
  updatedAt?: string;
}

/**
 * A budget against the month so far and the forecast month end.
 *
 * @public
 */
export interface BudgetStatus extends Budget {
  month: string;
  monthToDate: number;
  /** Average cost per day this month. */
  burnRatePerDay: number;
  forecastMonthEnd: ForecastValue;
  /** monthToDate / monthlyAmount. */
  usedRatio: number;
  /** forecastMonthEnd.amount / monthlyAmount. */
  forecastRatio: number;
}

/**
 * A day on which an entity's spend on one service rose far above its trailing baseline.
 *
 * @public
 */
export interface CostAnomaly {
  entityRef: string | null;
  service: string;
  day: string;
  amount: number;
  /** Median daily cost over the trailing window. */
  baseline: number;
  /** amount - baseline. */
  excess: number;
  /** Robust z-score: (amount - median) / (1.4826 x median absolute deviation). */
  score: number;
  currency: string;
}

/** @public */
export type RecommendationKind =
  | 'tag-unattributed-spend'
  | 'idle-gpu-capacity'
  | 'gpu-running-off-hours'
  | 'budget-overrun';

/**
 * Something to do about cost, with its estimated effect per month.
 *
 * @public
 */
export interface Recommendation {
  id: string;
  kind: RecommendationKind;
  title: string;
  description: string;
  /** What to do, concretely. */
  action: string;
  entityRef?: string;
  groupRef?: string;
  /** The monthly spend the recommendation is about. */
  monthlyCost: number;
  /** Estimated saving per month if followed (0 when it makes spend accountable rather than smaller). */
  estimatedMonthlySavings: number;
  currency: string;
}

/**
 * One line of a breakdown: cost over a range and over the range just before it.
 *
 * @public
 */
export interface CostBreakdownRow {
  key: string;
  name?: string;
  amount: number;
  previousAmount: number;
  change: ChangeStatistic;
}

/** @public */
export type CostDimension =
  | 'entity'
  | 'group'
  | 'service'
  | 'serviceCategory'
  | 'provider'
  | 'region'
  | 'subAccount'
  | 'chargeCategory';

/**
 * Cost over a range broken down by one dimension.
 *
 * @public
 */
export interface CostBreakdown {
  dimension: CostDimension;
  currency: string;
  start: string;
  endExclusive: string;
  total: number;
  rows: CostBreakdownRow[];
}

/**
 * What the entity cost card shows.
 *
 * @public
 */
export interface EntityCostSummary {
  entityRef: string;
  currency: string;
  lastCompleteBillingDate: string;
  monthToDate: number;
  /** Daily cost over the 30 days ending at the last complete billing date. */
  last30Days: DateAggregation[];
  last30DaysTotal: number;
  /** Last 30 days against the 30 days before. */
  change: ChangeStatistic;
  trendline: Trendline;
  budget?: BudgetStatus;
  forecast: CostForecast;
  /** Entity refs whose cost is included (the entity itself, or a group's entities). */
  includes: string[];
  /** Cost annotations on the entity that could not be read, with how to fix them. */
  problems: string[];
}

/**
 * An entity whose cost moved most between the last 30 days and the 30 before.
 *
 * @public
 */
export interface CostMover {
  entityRef: string | null;
  name: string;
  current: number;
  previous: number;
  change: ChangeStatistic;
}

/**
 * What the team page shows for a group: its daily cost broken down by entity and service (a Cost Insights
 * `Cost` with `groupedCosts.entity` and `groupedCosts.service`), budget, forecast and movers.
 *
 * @public
 */
export interface GroupCostSummary {
  groupRef: string;
  name: string;
  currency: string;
  lastCompleteBillingDate: string;
  start: string;
  endExclusive: string;
  daily: Cost;
  monthToDate: number;
  budget?: BudgetStatus;
  forecast: CostForecast;
  topMovers: CostMover[];
  /** The group's direct sub-groups with their own rolled-up cost over the range. */
  subGroups: CostBreakdownRow[];
}

/**
 * The organisation overview for managers.
 *
 * @public
 */
export interface OrganizationCostOverview {
  currency: string;
  lastCompleteBillingDate: string;
  start: string;
  endExclusive: string;
  total: number;
  attributed: number;
  unattributed: number;
  monthToDate: number;
  forecast: CostForecast;
  daily: Cost;
  byGroup: CostBreakdownRow[];
  byProvider: CostBreakdownRow[];
  byServiceCategory: CostBreakdownRow[];
  budgets: BudgetStatus[];
}

/** @public */
export interface RejectedRow {
  /** The file of an export of several (an export snapshot's part), as the record names it. */
  file?: string;
  /** 1-based line of a CSV file, the header being line 1; the 1-based row of a Parquet file or query result. */
  row: number;
  column?: string;
  reason: string;
}

/** @public */
export type IngestionStatus = 'running' | 'succeeded' | 'rejected' | 'failed';

/** @public */
export type IngestionSource = 'upload' | 'folder' | 'url' | 'demo' | 'query';

/**
 * The record kept for every file ingested (or refused).
 *
 * @public
 */
export interface IngestionRecord {
  id: string;
  source: IngestionSource;
  location: string;
  contentHash?: string;
  status: IngestionStatus;
  focusVersion?: string;
  rowCount: number;
  rejectedRowCount: number;
  /** The first rejected rows (at most 100), each with its line, column and reason. */
  rejects: RejectedRow[];
  /** Sums per currency of what the file holds. */
  totals: Record<string, { billed: number; effective: number; list: number }>;
  /**
   * The billing periods the file replaced: whole, or, with `days`, only those days (YYYY-MM-DD, both included), when
   * the export declared it covers part of the period (an Azure one-time export). `withdrawn`: an account the
   * source's earlier delivery held in that month and this one no longer holds, replaced by nothing.
   */
  periods: Array<{
    billingAccountId: string;
    billingPeriodStart: string;
    days?: { from: string; to: string };
    withdrawn?: boolean;
  }>;
  rollupCount: number;
  startedAt: string;
  finishedAt?: string;
  actor?: string;
  error?: string;
}

/**
 * Alerts, in the Cost Insights alert data shapes plus Forge's budget and anomaly alerts.
 *
 * @public
 */
export type CostAlert = {
  title: string;
  subtitle: string;
  url?: string;
} & (
  | { kind: 'projectGrowth'; data: ProjectGrowthData }
  | { kind: 'unlabeledDataflow'; data: UnlabeledDataflowData }
  | { kind: 'budget'; data: BudgetStatus }
  | { kind: 'anomaly'; data: CostAnomaly }
);

/**
 * One line of an entity's cost breakdown over a range.
 *
 * @public
 */
export interface CostLine {
  serviceCategory: string;
  serviceName: string;
  provider: string;
  region: string;
  subAccountId: string;
  chargeCategory: string;
  /** The cost Forge shows (the configured metric). */
  amount: number;
  billedCost: number;
  effectiveCost: number;
  listCost: number;
}

/**
 * What the entity cost tab shows: daily cost by service and the breakdown table.
 *
 * @public
 */
export interface EntityCostBreakdown {
  entityRef: string;
  currency: string;
  start: string;
  endExclusive: string;
  total: number;
  /** Daily cost with `groupedCosts.service`. */
  daily: Cost;
  lines: CostLine[];
}
