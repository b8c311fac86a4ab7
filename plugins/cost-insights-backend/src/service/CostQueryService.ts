import {
  addDays,
  CostBreakdown,
  CostBreakdownRow,
  CostDimension,
  CostForecast,
  DateAggregation,
  daysBetween,
  startOfMonth,
  startOfNextMonth,
  toIsoDay,
} from '@internal/plugin-cost-insights-common';
import { CostCatalog } from '../catalog/CostCatalog';
import { CostCatalogSnapshot } from '../catalog/CostCatalogSnapshot';
import { CostMetric } from '../config';
import {
  CostStore,
  RollupAggregate,
  RollupFilter,
  RollupGroupBy,
  RollupMeasure,
} from '../database/CostStore';
import { forecastDailyCost } from './forecast';
import { CostScope, ORGANIZATION_SCOPE, resolveScope } from './CostScope';
import { changeOf, fillDays, sum } from './stats';

const MEASURE_OF_METRIC: Record<CostMetric, RollupMeasure> = {
  effective: 'effectiveCost',
  billed: 'billedCost',
  list: 'listCost',
};

const DIMENSION_COLUMN: Record<
  Exclude<CostDimension, 'group'>,
  RollupGroupBy
> = {
  entity: 'entityRef',
  service: 'serviceName',
  serviceCategory: 'serviceCategory',
  provider: 'provider',
  region: 'region',
  subAccount: 'subAccountId',
  chargeCategory: 'chargeCategory',
};

export const UNATTRIBUTED_NAME = 'Unattributed';

/** Extra conditions on top of a scope and a range. */
export type SeriesFilter = Pick<
  RollupFilter,
  'serviceCategory' | 'serviceName' | 'consumedUnit'
>;

/**
 * Answers cost questions over the stored rollups for a scope (organisation, group or entity): daily series,
 * breakdowns against the previous period, forecasts. Amounts are in the configured currency and cost metric.
 */
export class CostQueryService {
  readonly currency: string;
  readonly measure: RollupMeasure;
  private readonly now: () => Date;

  constructor(
    private readonly options: {
      store: CostStore;
      catalog: CostCatalog;
      currency: string;
      costMetric: CostMetric;
      now?: () => Date;
    },
  ) {
    this.currency = options.currency;
    this.measure = MEASURE_OF_METRIC[options.costMetric];
    this.now = options.now ?? (() => new Date());
  }

  snapshot(): Promise<CostCatalogSnapshot> {
    return this.options.catalog.snapshot();
  }

  /** The scope of a ref (404 when unknown), or the organisation when there is none. */
  async scopeOf(ref?: string, defaultKind = 'component'): Promise<CostScope> {
    if (ref === undefined) return ORGANIZATION_SCOPE;
    return resolveScope(await this.snapshot(), ref, defaultKind);
  }

  today(): string {
    return toIsoDay(this.now());
  }

  /**
   * The last day billing data is complete for: the latest day with cost (never after today); yesterday when
   * nothing has been ingested yet.
   */
  async lastCompleteBillingDate(): Promise<string> {
    const today = this.today();
    const last = await this.options.store.lastBillingDay(this.currency);
    if (!last) return addDays(today, -1);
    return last > today ? today : last;
  }

  amountOf(row: RollupAggregate): number {
    return row[this.measure] ?? 0;
  }

  /** Sums the cost of a scope over a range, grouped as asked. */
  aggregate(
    scope: CostScope,
    start: string,
    endExclusive: string,
    groupBy: RollupGroupBy[],
    extra: SeriesFilter & { measures?: RollupMeasure[] } = {},
  ): Promise<RollupAggregate[]> {
    const { measures, ...filter } = extra;
    return this.options.store.aggregate(
      {
        start,
        endExclusive,
        currency: this.currency,
        entityRefs: scope.costRefs,
        ...filter,
      },
      groupBy,
      measures ?? [this.measure],
    );
  }

  /** Cost per day over the range, zero on days without any. */
  async daily(
    scope: CostScope,
    start: string,
    endExclusive: string,
    extra: SeriesFilter = {},
  ): Promise<DateAggregation[]> {
    const rows = await this.aggregate(
      scope,
      start,
      endExclusive,
      ['day'],
      extra,
    );
    return fillDays(
      new Map(rows.map(r => [r.day!, this.amountOf(r)])),
      start,
      endExclusive,
    );
  }

  /** Total cost per key of a dimension over the range. */
  async totalsBy(
    scope: CostScope,
    column: RollupGroupBy,
    start: string,
    endExclusive: string,
    extra: SeriesFilter = {},
  ): Promise<Map<string, number>> {
    const rows = await this.aggregate(
      scope,
      start,
      endExclusive,
      [column],
      extra,
    );
    return new Map(rows.map(r => [r[column]!, this.amountOf(r)]));
  }

  /** Cost over a range broken down by one dimension, each line against the same length of time before. */
  async breakdown(
    scope: CostScope,
    dimension: CostDimension,
    start: string,
    endExclusive: string,
  ): Promise<CostBreakdown> {
    const length = daysBetween(start, endExclusive);
    const previousStart = addDays(start, -length);
    const snapshot = await this.snapshot();
    let current: Map<string, number>;
    let previous: Map<string, number>;
    let nameOf: (key: string) => string | undefined;
    if (dimension === 'group') {
      const [cur, prev] = await Promise.all([
        this.totalsBy(scope, 'entityRef', start, endExclusive),
        this.totalsBy(scope, 'entityRef', previousStart, start),
      ]);
      const grouping = groupingOf(snapshot, scope);
      current = grouping(cur);
      previous = grouping(prev);
      nameOf = key =>
        key === '' ? UNATTRIBUTED_NAME : snapshot.displayName(key);
    } else {
      const column = DIMENSION_COLUMN[dimension];
      [current, previous] = await Promise.all([
        this.totalsBy(scope, column, start, endExclusive),
        this.totalsBy(scope, column, previousStart, start),
      ]);
      nameOf =
        dimension === 'entity'
          ? key => (key === '' ? UNATTRIBUTED_NAME : snapshot.displayName(key))
          : () => undefined;
    }
    const keys = new Set([...current.keys(), ...previous.keys()]);
    const rows: CostBreakdownRow[] = [...keys]
      .map(key => {
        const amount = current.get(key) ?? 0;
        const before = previous.get(key) ?? 0;
        const name = nameOf(key);
        return {
          key,
          ...(name !== undefined ? { name } : {}),
          amount,
          previousAmount: before,
          change: changeOf(before, amount),
        };
      })
      .sort((a, b) => b.amount - a.amount || a.key.localeCompare(b.key));
    return {
      dimension,
      currency: this.currency,
      start,
      endExclusive,
      total: sum(current.values()),
      rows,
    };
  }

  /**
   * Forecast of a scope from its daily history up to the last complete billing day: month end (actual month to
   * date plus the rest of the month), next 30 and 90 days. `history`, when given, is the scope's daily series
   * ending on `asOf` (to save a query).
   */
  async forecast(
    scope: CostScope,
    options: { asOf?: string; history?: DateAggregation[] } = {},
  ): Promise<CostForecast> {
    const asOf = options.asOf ?? (await this.lastCompleteBillingDate());
    const history =
      options.history ??
      (await this.daily(scope, addDays(asOf, -89), addDays(asOf, 1)));
    const monthStart = startOfMonth(asOf);
    const monthToDate = sum(
      history
        .filter(d => d.date >= monthStart && d.date <= asOf)
        .map(d => d.amount),
    );
    // A young entity's zero days before its first cost are not part of its pattern.
    const firstSpend = history.findIndex(d => d.amount !== 0);
    const model = forecastDailyCost(
      firstSpend < 0 ? [] : history.slice(firstSpend),
      90,
    );
    const remaining = daysBetween(asOf, startOfNextMonth(asOf)) - 1;
    const rest = model.total(remaining);
    return {
      method: model.method,
      confidence: model.confidence,
      currency: this.currency,
      historyDays: model.historyDays,
      asOf,
      month: asOf.slice(0, 7),
      monthToDate,
      monthEnd: {
        amount: monthToDate + rest.amount,
        lower: monthToDate + rest.lower,
        upper: monthToDate + rest.upper,
      },
      next30Days: model.total(30),
      next90Days: model.total(90),
      daily: firstSpend < 0 ? [] : model.daily.map(d => ({ ...d })),
    };
  }
}

/**
 * How entity totals add up into the groups one level below a scope: for a group, each sub-group's subtree plus
 * the group's own direct cost; for the organisation, the top-level groups plus unattributed spend.
 */
export function groupingOf(
  snapshot: CostCatalogSnapshot,
  scope: CostScope,
): (byEntity: Map<string, number>) => Map<string, number> {
  let buckets: string[];
  if (scope.kind === 'group') {
    buckets = snapshot.childGroups(scope.ref!);
  } else {
    const roots = [...snapshot.groups.keys()].filter(
      g => !snapshot.parentGroup(g),
    );
    buckets = roots.length === 1 ? snapshot.childGroups(roots[0]) : roots;
  }
  const bucketOf = new Map<string, string>();
  for (const bucket of buckets) {
    for (const ref of snapshot.costRefsOfGroup(bucket))
      bucketOf.set(ref, bucket);
  }
  return byEntity => {
    const result = new Map<string, number>();
    for (const [ref, amount] of byEntity) {
      // Cost not below any sub-group: the scope group's own, or (organisation) the root's or unattributed.
      let key = bucketOf.get(ref);
      if (key === undefined) {
        if (scope.kind === 'group') key = scope.ref!;
        else key = ref === '' ? '' : rootOf(snapshot, ref);
      }
      result.set(key, (result.get(key) ?? 0) + amount);
    }
    return result;
  };
}

function rootOf(snapshot: CostCatalogSnapshot, ref: string): string {
  const group = snapshot.owningGroup(ref);
  if (!group) return ref;
  const ancestors = snapshot.ancestors(group);
  return ancestors.length ? ancestors[ancestors.length - 1] : group;
}
