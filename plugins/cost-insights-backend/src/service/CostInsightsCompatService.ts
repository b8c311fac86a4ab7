import {
  addDays,
  AlertCost,
  Cost,
  CostAlert,
  Entity,
  Group,
  Intervals,
  IntervalsError,
  Metric,
  MetricData,
  parseIntervals,
  Product,
  productKey,
  Project,
} from '@internal/plugin-cost-insights-common';
import { InputError, NotFoundError } from '@backstage/errors';
import { CostCatalog } from '../catalog/CostCatalog';
import { RollupMeasure } from '../database/CostStore';
import { AnomalyService } from './AnomalyService';
import { BudgetService } from './BudgetService';
import { CostQueryService } from './CostQueryService';
import {
  CostScope,
  normalizeEntityRef,
  resolveGroupScope,
  resolveScope,
} from './CostScope';
import { entityLink } from './links';
import { money } from './money';
import { changeOf, fillDays, sum, trendlineOf } from './stats';

/** Metrics Cost Insights can plot next to cost. */
const METRICS: Array<
  Metric & { measure: RollupMeasure; format: MetricData['format'] }
> = [
  {
    kind: 'gpu-hours',
    name: 'GPU hours',
    default: false,
    measure: 'gpuHours',
    format: 'number',
  },
  {
    kind: 'gpu-cost',
    name: 'GPU cost',
    default: false,
    measure: 'gpuCost',
    format: 'currency',
  },
];

/** A project whose cost grew by at least this share over a period is an alert. */
const GROWTH_ALERT_RATIO = 0.25;
const GROWTH_ALERT_MINIMUM = 100;

/** Reads intervals, turning a bad one into a 400 that names the accepted format. */
export function readIntervals(value: unknown): Intervals {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError(
      'The intervals query parameter is required, e.g. intervals=R2/P30D/2026-11-26',
    );
  }
  try {
    return parseIntervals(value);
  } catch (error) {
    if (error instanceof IntervalsError) throw new InputError(error.message);
    throw error;
  }
}

/**
 * The Backstage Cost Insights `CostInsightsApi`, answered from Forge's rollups: groups are catalog groups,
 * projects are the catalog entities whose cost rolls up into a group, products are FOCUS service categories.
 */
export class CostInsightsCompatService {
  constructor(
    private readonly options: {
      query: CostQueryService;
      catalog: CostCatalog;
      budgets: BudgetService;
      anomalies: AnomalyService;
      /** Shares of a budget past which it is an alert. */
      budgetThresholds: number[];
    },
  ) {}

  getLastCompleteBillingDate(): Promise<string> {
    return this.options.query.lastCompleteBillingDate();
  }

  async getUserGroups(userId: string): Promise<Group[]> {
    const userRef = normalizeEntityRef(userId, 'user');
    const snapshot = await this.options.query.snapshot();
    const groups = await this.options.catalog.groupsOfUser(userRef);
    return groups.map(id => ({ id, name: snapshot.displayName(id) }));
  }

  async getGroupProjects(group: string): Promise<Project[]> {
    const snapshot = await this.options.query.snapshot();
    const scope = resolveGroupScope(snapshot, group);
    return (scope.costRefs ?? [])
      .filter(ref => snapshot.entities.has(ref))
      .sort()
      .map(id => ({ id, name: snapshot.displayName(id) }));
  }

  async getGroupDailyCost(group: string, intervals: string): Promise<Cost> {
    const snapshot = await this.options.query.snapshot();
    return this.dailyCost(resolveGroupScope(snapshot, group), intervals, true);
  }

  async getProjectDailyCost(project: string, intervals: string): Promise<Cost> {
    const snapshot = await this.options.query.snapshot();
    return this.dailyCost(resolveScope(snapshot, project), intervals, false);
  }

  async getCatalogEntityDailyCost(
    catalogEntityRef: string,
    intervals: string,
  ): Promise<Cost> {
    const snapshot = await this.options.query.snapshot();
    return this.dailyCost(
      resolveScope(snapshot, catalogEntityRef),
      intervals,
      false,
    );
  }

  /** Products: the FOCUS service categories that have cost. */
  async getProducts(): Promise<Product[]> {
    const { query } = this.options;
    const asOf = await query.lastCompleteBillingDate();
    const totals = await query.totalsBy(
      { kind: 'organization', name: '' },
      'serviceCategory',
      addDays(asOf, -364),
      addDays(asOf, 1),
    );
    return [...totals.keys()]
      .sort()
      .map(name => ({ kind: productKey(name), name }));
  }

  async getProductInsights(options: {
    product: string;
    group: string;
    intervals: string;
    project?: string;
  }): Promise<Entity> {
    const { query } = this.options;
    const snapshot = await query.snapshot();
    const intervals = readIntervals(options.intervals);
    const scope = options.project
      ? resolveScope(snapshot, options.project)
      : resolveGroupScope(snapshot, options.group);
    const category = await this.categoryOf(options.product);
    const [previousPeriod, currentPeriod] = comparedPeriods(intervals);
    const [previous, current] = await Promise.all(
      [previousPeriod, currentPeriod].map(p =>
        query.aggregate(
          scope,
          p.start,
          p.endExclusive,
          ['serviceName', 'entityRef'],
          {
            serviceCategory: category,
          },
        ),
      ),
    );
    // service -> entity -> [previous, current]
    const tree = new Map<string, Map<string, [number, number]>>();
    const add = (rows: typeof previous, slot: 0 | 1) => {
      for (const row of rows) {
        let entities = tree.get(row.serviceName!);
        if (!entities) tree.set(row.serviceName!, (entities = new Map()));
        const pair = entities.get(row.entityRef!) ?? [0, 0];
        pair[slot] += query.amountOf(row);
        entities.set(row.entityRef!, pair);
      }
    };
    add(previous, 0);
    add(current, 1);
    const services: Entity[] = [...tree].map(([service, entities]) => {
      const children: Entity[] = [...entities].map(([ref, pair]) => ({
        id: ref === '' ? null : ref,
        aggregation: pair,
        entities: {},
        change: changeOf(pair[0], pair[1]),
      }));
      const aggregation: [number, number] = [
        sum(children.map(c => c.aggregation[0])),
        sum(children.map(c => c.aggregation[1])),
      ];
      return {
        id: service,
        aggregation,
        entities: {
          entity: children.sort((a, b) => b.aggregation[1] - a.aggregation[1]),
        },
        change: changeOf(aggregation[0], aggregation[1]),
      };
    });
    const aggregation: [number, number] = [
      sum(services.map(s => s.aggregation[0])),
      sum(services.map(s => s.aggregation[1])),
    ];
    return {
      id: productKey(category),
      aggregation,
      entities: {
        service: services.sort((a, b) => b.aggregation[1] - a.aggregation[1]),
      },
      change: changeOf(aggregation[0], aggregation[1]),
    };
  }

  getMetrics(): Metric[] {
    return METRICS.map(({ kind, name, default: isDefault }) => ({
      kind,
      name,
      default: isDefault,
    }));
  }

  async getDailyMetricData(
    metric: string,
    intervals: string,
  ): Promise<MetricData> {
    const definition = METRICS.find(m => m.kind === metric);
    if (!definition) {
      throw new NotFoundError(
        `No metric ${metric}; the metrics are ${METRICS.map(m => m.kind).join(
          ', ',
        )}`,
      );
    }
    const { query } = this.options;
    const parsed = readIntervals(intervals);
    const rows = await query.aggregate(
      { kind: 'organization', name: '' },
      parsed.start,
      parsed.endExclusive,
      ['day'],
      { measures: [definition.measure] },
    );
    const aggregation = fillDays(
      new Map(rows.map(r => [r.day!, r[definition.measure] ?? 0])),
      parsed.start,
      parsed.endExclusive,
    );
    return {
      id: metric,
      format: definition.format,
      aggregation,
      change: this.periodChange(aggregation, parsed),
    };
  }

  /**
   * Alerts for a group: projects that grew by a quarter or more over the last 30 days, spend left unlabeled in
   * the sub-accounts the group uses, budgets past a threshold, and cost anomalies of the last 7 days.
   */
  async getAlerts(group: string): Promise<CostAlert[]> {
    const { query, budgets, anomalies } = this.options;
    const snapshot = await query.snapshot();
    const scope = resolveGroupScope(snapshot, group);
    const asOf = await query.lastCompleteBillingDate();
    const end = addDays(asOf, 1);
    const start = addDays(end, -30);
    const previousStart = addDays(start, -30);
    const alerts: CostAlert[] = [];
    const link = entityLink(scope.ref!);

    const [current, previous] = await Promise.all([
      query.aggregate(scope, start, end, ['entityRef', 'serviceName']),
      query.aggregate(scope, previousStart, start, [
        'entityRef',
        'serviceName',
      ]),
    ]);
    const perProject = new Map<
      string,
      { products: Map<string, [number, number]> }
    >();
    const addRows = (rows: typeof current, slot: 0 | 1) => {
      for (const row of rows) {
        if (!snapshot.entities.has(row.entityRef!)) continue;
        let p = perProject.get(row.entityRef!);
        if (!p) perProject.set(row.entityRef!, (p = { products: new Map() }));
        const pair = p.products.get(row.serviceName!) ?? [0, 0];
        pair[slot] += query.amountOf(row);
        p.products.set(row.serviceName!, pair);
      }
    };
    addRows(previous, 0);
    addRows(current, 1);
    for (const [project, { products }] of perProject) {
      const before = sum([...products.values()].map(p => p[0]));
      const after = sum([...products.values()].map(p => p[1]));
      const change = changeOf(before, after);
      if (
        change.ratio !== undefined &&
        change.ratio >= GROWTH_ALERT_RATIO &&
        change.amount >= GROWTH_ALERT_MINIMUM
      ) {
        const productCosts: AlertCost[] = [...products]
          .map(([id, aggregation]) => ({ id, aggregation }))
          .sort(
            (a, b) =>
              b.aggregation[1] -
              b.aggregation[0] -
              (a.aggregation[1] - a.aggregation[0]),
          );
        alerts.push({
          kind: 'projectGrowth',
          title: `Investigate cost growth in ${snapshot.displayName(project)}`,
          subtitle: `Cost grew by ${Math.round(
            100 * change.ratio,
          )}% over the last 30 days.`,
          url: link,
          data: {
            project,
            periodStart: previousStart,
            periodEnd: asOf,
            aggregation: [before, after],
            change,
            products: productCosts,
          },
        });
      }
    }

    // Unlabeled spend in the sub-accounts the group's entities use.
    const labeledBySubAccount = await query.totalsBy(
      scope,
      'subAccountId',
      start,
      end,
    );
    const unlabeledBySubAccount = await query.totalsBy(
      { kind: 'entity', name: '', costRefs: [''] },
      'subAccountId',
      start,
      end,
    );
    const projects = [...labeledBySubAccount]
      .filter(([id]) => id !== '' && (unlabeledBySubAccount.get(id) ?? 0) > 0)
      .map(([id, labeledCost]) => ({
        id,
        labeledCost,
        unlabeledCost: unlabeledBySubAccount.get(id) ?? 0,
      }));
    const unlabeledCost = sum(projects.map(p => p.unlabeledCost));
    if (unlabeledCost > 0) {
      alerts.push({
        kind: 'unlabeledDataflow',
        title: 'Label the spend in your sub-accounts',
        subtitle: `${money(
          unlabeledCost,
          query.currency,
        )} in the sub-accounts your entities use matched no catalog entity in the last 30 days.`,
        url: '/cost',
        data: {
          periodStart: start,
          periodEnd: asOf,
          projects,
          unlabeledCost,
          labeledCost: sum(projects.map(p => p.labeledCost)),
        },
      });
    }

    const thresholds = [...this.options.budgetThresholds].sort((a, b) => a - b);
    for (const { status } of await budgets.allStatuses()) {
      if (!(scope.costRefs ?? []).includes(status.entityRef)) continue;
      const passed = thresholds.filter(t => status.usedRatio >= t);
      if (passed.length === 0 && status.forecastRatio <= 1) continue;
      const name = snapshot.displayName(status.entityRef);
      alerts.push({
        kind: 'budget',
        title: budgetAlertTitle(name, status.usedRatio, passed.length > 0),
        subtitle: `Month to date ${money(
          status.monthToDate,
          query.currency,
        )} of ${money(
          status.monthlyAmount,
          query.currency,
        )}; forecast month end ${money(
          status.forecastMonthEnd.amount,
          query.currency,
        )}.`,
        url: link,
        data: status,
      });
    }

    for (const anomaly of await anomalies.anomalies(scope, { days: 7, asOf })) {
      const name = anomaly.entityRef
        ? snapshot.displayName(anomaly.entityRef)
        : 'Unattributed';
      alerts.push({
        kind: 'anomaly',
        title: `Cost spike in ${name}: ${anomaly.service}`,
        subtitle: `${money(anomaly.amount, query.currency)} on ${
          anomaly.day
        } against a usual ${money(anomaly.baseline, query.currency)} per day.`,
        url: link,
        data: anomaly,
      });
    }
    return alerts;
  }

  private async categoryOf(product: string): Promise<string> {
    const products = await this.getProducts();
    const match = products.find(p => p.kind === product || p.name === product);
    if (!match) {
      throw new NotFoundError(
        `No product ${product}; the products with cost are ${
          products.map(p => p.kind).join(', ') || 'none yet'
        }`,
      );
    }
    return match.name;
  }

  private async dailyCost(
    scope: CostScope,
    rawIntervals: string,
    groupByProject: boolean,
  ): Promise<Cost> {
    const { query } = this.options;
    const intervals = readIntervals(rawIntervals);
    const dimensions: Array<
      ['product' | 'project', 'serviceCategory' | 'entityRef']
    > = [
      ['product', 'serviceCategory'],
      ...(groupByProject
        ? [['project', 'entityRef'] as ['project', 'entityRef']]
        : []),
    ];
    const aggregation = await query.daily(
      scope,
      intervals.start,
      intervals.endExclusive,
    );
    const groupedCosts: Record<string, Cost[]> = {};
    for (const [name, column] of dimensions) {
      const rows = await query.aggregate(
        scope,
        intervals.start,
        intervals.endExclusive,
        ['day', column],
      );
      const series = new Map<string, Map<string, number>>();
      for (const row of rows) {
        const key =
          column === 'serviceCategory'
            ? productKey(row[column]!)
            : row[column]!;
        let m = series.get(key);
        if (!m) series.set(key, (m = new Map()));
        m.set(row.day!, (m.get(row.day!) ?? 0) + query.amountOf(row));
      }
      groupedCosts[name] = [...series].map(([id, m]) => {
        const daily = fillDays(m, intervals.start, intervals.endExclusive);
        return {
          id: id === '' ? 'unattributed' : id,
          aggregation: daily,
          change: this.periodChange(daily, intervals),
          trendline: trendlineOf(daily),
        };
      });
    }
    return {
      id: scope.ref!,
      aggregation,
      change: this.periodChange(aggregation, intervals),
      trendline: trendlineOf(aggregation),
      groupedCosts,
    };
  }

  /** Change between the last period of the intervals and the one before it (or the first half, when only one). */
  private periodChange(
    aggregation: Array<{ date: string; amount: number }>,
    intervals: Intervals,
  ) {
    const [previous, current] = comparedPeriods(intervals);
    const total = (p: { start: string; endExclusive: string }) =>
      sum(
        aggregation
          .filter(d => d.date >= p.start && d.date < p.endExclusive)
          .map(d => d.amount),
      );
    return changeOf(total(previous), total(current));
  }
}

/** The two periods a change compares: the last two of the intervals, or the halves of a single one. */
function comparedPeriods(intervals: Intervals) {
  const periods = intervals.periods;
  if (periods.length >= 2) return periods.slice(-2);
  const only = periods[0];
  const days = Math.round(
    (Date.parse(only.endExclusive) - Date.parse(only.start)) / 86_400_000,
  );
  const middle = addDays(only.start, Math.floor(days / 2));
  return [
    { start: only.start, endExclusive: middle },
    { start: middle, endExclusive: only.endExclusive },
  ];
}

function budgetAlertTitle(
  name: string,
  usedRatio: number,
  passedThreshold: boolean,
): string {
  if (usedRatio >= 1) return `${name} is over its budget`;
  if (passedThreshold) {
    return `${name} has used ${Math.round(100 * usedRatio)}% of its budget`;
  }
  return `${name} is forecast over its budget`;
}
