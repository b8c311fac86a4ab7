// The data shapes of the Backstage Cost Insights `CostInsightsApi` (@backstage-community/plugin-cost-insights),
// reproduced so an organisation already running that frontend can point its client at Forge's backend.

/** @public */
export type Maybe<T> = T | null;

/**
 * Cost on one day (`YYYY-MM-DD`).
 *
 * @public
 */
export interface DateAggregation {
  date: string;
  amount: number;
}

/**
 * Change between two periods: `amount` is the difference, `ratio` the difference over the earlier period's
 * total, absent when the earlier period cost nothing (the ratio would be infinite).
 *
 * @public
 */
export interface ChangeStatistic {
  ratio?: number;
  amount: number;
}

/**
 * Least-squares line through a daily series: x is the day as Unix seconds, y the amount.
 *
 * @public
 */
export interface Trendline {
  slope: number;
  intercept: number;
}

/**
 * Daily cost of a group, project or entity over the requested intervals, with optional breakdowns keyed by
 * dimension (Forge fills `product` with FOCUS service categories, `service` and `entity`).
 *
 * @public
 */
export interface Cost {
  id: string;
  /** Display name of `id` (a Forge addition; Cost Insights clients ignore it). */
  name?: string;
  aggregation: DateAggregation[];
  change?: ChangeStatistic;
  trendline?: Trendline;
  groupedCosts?: Record<string, Cost[]>;
}

/** @public */
export interface Group {
  id: string;
  name?: string;
}

/**
 * A project; in Forge a catalog entity whose cost is attributed (`id` is its entity ref).
 *
 * @public
 */
export interface Project {
  id: string;
  name?: string;
}

/**
 * Product insights: cost of a product over the previous and the current period (`aggregation`), broken down
 * into sub-entities keyed by their kind.
 *
 * @public
 */
export interface Entity {
  id: Maybe<string>;
  aggregation: [number, number];
  entities: Record<string, Entity[]>;
  change: ChangeStatistic;
}

/**
 * A product's cost in the shape older Cost Insights clients used for product panels.
 *
 * @public
 */
export interface ProductCost {
  entities: Entity[];
  aggregation: [number, number];
  change: ChangeStatistic;
}

/**
 * A product Cost Insights can show a panel for (`kind` is the id passed back to `getProductInsights`).
 *
 * @public
 */
export interface Product {
  kind: string;
  name: string;
}

/** @public */
export interface Metric {
  kind: string;
  name: string;
  default: boolean;
}

/** @public */
export interface MetricData {
  id: string;
  format: 'number' | 'currency';
  aggregation: DateAggregation[];
  change: ChangeStatistic;
}

/** @public */
export interface AlertCost {
  id: string;
  aggregation: [number, number];
}

/** @public */
export interface ProjectGrowthData {
  project: string;
  periodStart: string;
  periodEnd: string;
  aggregation: [number, number];
  change: ChangeStatistic;
  products: AlertCost[];
}

/** @public */
export interface UnlabeledDataflowAlertProject {
  id: string;
  unlabeledCost: number;
  labeledCost: number;
}

/** @public */
export interface UnlabeledDataflowData {
  periodStart: string;
  periodEnd: string;
  projects: UnlabeledDataflowAlertProject[];
  unlabeledCost: number;
  labeledCost: number;
}
