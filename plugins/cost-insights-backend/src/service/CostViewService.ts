import {
  addDays,
  Cost,
  CostBreakdownRow,
  CostLine,
  CostMover,
  DateAggregation,
  EntityCostBreakdown,
  EntityCostSummary,
  GroupCostSummary,
  OrganizationCostOverview,
} from '@internal/plugin-cost-insights-common';
import { RollupGroupBy } from '../database/CostStore';
import { BudgetService } from './BudgetService';
import {
  CostQueryService,
  groupingOf,
  UNATTRIBUTED_NAME,
} from './CostQueryService';
import { CostScope, ORGANIZATION_SCOPE, resolveGroupScope } from './CostScope';
import { changeOf, fillDays, sum, trendlineOf } from './stats';

/** The dimensions of a breakdown line. */
const LINE_DIMENSIONS: RollupGroupBy[] = [
  'serviceCategory',
  'serviceName',
  'provider',
  'region',
  'subAccountId',
  'chargeCategory',
];

/** How many lines a grouped daily chart gets before the rest is summed as "Other". */
const TOP_SERIES = 8;

/**
 * The views of the portal, each answered in one call: the entity cost card, the team page and the
 * organisation overview, plus the top cost drivers an assistant asks for.
 */
export class CostViewService {
  constructor(
    private readonly options: {
      query: CostQueryService;
      budgets: BudgetService;
    },
  ) {}

  /** Month to date, the last 30 days with trend and change, budget burn and forecast of an entity or group. */
  async entitySummary(ref: string): Promise<EntityCostSummary> {
    const { query, budgets } = this.options;
    const scope = await query.scopeOf(ref);
    const asOf = await query.lastCompleteBillingDate();
    const history = await query.daily(
      scope,
      addDays(asOf, -89),
      addDays(asOf, 1),
    );
    const last30 = history.slice(-30);
    const previous30 = history.slice(-60, -30);
    const forecast = await query.forecast(scope, { asOf, history });
    const budget = await budgets.status(scope, forecast);
    const snapshot = await query.snapshot();
    const problems = [
      ...snapshot.costTags().problems,
      ...snapshot.catalogBudgets().problems,
    ]
      .filter(p => p.entityRef === scope.ref)
      .map(p => p.message);
    const last30DaysTotal = sum(last30.map(d => d.amount));
    return {
      entityRef: scope.ref!,
      currency: query.currency,
      lastCompleteBillingDate: asOf,
      monthToDate: forecast.monthToDate,
      last30Days: last30,
      last30DaysTotal,
      change: changeOf(sum(previous30.map(d => d.amount)), last30DaysTotal),
      trendline: trendlineOf(last30),
      ...(budget ? { budget } : {}),
      forecast,
      includes: scope.costRefs ?? [],
      problems,
    };
  }

  /** The team page: daily cost by entity and service, budget and forecast, top movers, sub-groups. */
  async groupSummary(groupRef: string, days = 90): Promise<GroupCostSummary> {
    const { query, budgets } = this.options;
    const scope = resolveGroupScope(await query.snapshot(), groupRef);
    const asOf = await query.lastCompleteBillingDate();
    const endExclusive = addDays(asOf, 1);
    const start = addDays(endExclusive, -days);
    const snapshot = await query.snapshot();
    const [daily, forecast, topMovers, subGroups] = await Promise.all([
      this.groupedDaily(scope, start, endExclusive, {
        entity: 'entityRef',
        service: 'serviceName',
      }),
      query.forecast(scope, { asOf }),
      this.movers(scope, asOf),
      query.breakdown(scope, 'group', start, endExclusive),
    ]);
    const budget = await budgets.status(scope, forecast);
    return {
      groupRef: scope.ref!,
      name: scope.name,
      currency: query.currency,
      lastCompleteBillingDate: asOf,
      start,
      endExclusive,
      daily: nameGroupedCosts(daily, ref =>
        ref === '' ? UNATTRIBUTED_NAME : snapshot.displayName(ref),
      ),
      monthToDate: forecast.monthToDate,
      ...(budget ? { budget } : {}),
      forecast,
      topMovers,
      subGroups: subGroups.rows,
    };
  }

  /** The organisation overview: totals, unattributed spend, breakdowns and every budget. */
  async overview(days = 90): Promise<OrganizationCostOverview> {
    const { query, budgets } = this.options;
    const scope = ORGANIZATION_SCOPE;
    const asOf = await query.lastCompleteBillingDate();
    const endExclusive = addDays(asOf, 1);
    const start = addDays(endExclusive, -days);
    const snapshot = await query.snapshot();
    const grouping = groupingOf(snapshot, scope);
    const [
      byDayEntity,
      forecast,
      byGroup,
      byProvider,
      byServiceCategory,
      budgetStatuses,
    ] = await Promise.all([
      query.aggregate(scope, start, endExclusive, ['day', 'entityRef']),
      query.forecast(scope, { asOf }),
      query.breakdown(scope, 'group', start, endExclusive),
      query.breakdown(scope, 'provider', start, endExclusive),
      query.breakdown(scope, 'serviceCategory', start, endExclusive),
      budgets.allStatuses(),
    ]);
    // Daily cost by top-level group, from the same rows as the totals.
    const perDay = new Map<string, Map<string, number>>();
    for (const row of byDayEntity) {
      let m = perDay.get(row.day!);
      if (!m) perDay.set(row.day!, (m = new Map()));
      m.set(row.entityRef!, (m.get(row.entityRef!) ?? 0) + query.amountOf(row));
    }
    const byGroupDaily = new Map<string, Map<string, number>>();
    for (const [day, entities] of perDay) {
      for (const [group, amount] of grouping(entities)) {
        let m = byGroupDaily.get(group);
        if (!m) byGroupDaily.set(group, (m = new Map()));
        m.set(day, (m.get(day) ?? 0) + amount);
      }
    }
    const total = sum(byDayEntity.map(r => query.amountOf(r)));
    const unattributed = sum(
      byDayEntity.filter(r => r.entityRef === '').map(r => query.amountOf(r)),
    );
    const aggregation = fillDays(
      new Map(
        [...perDay].map(
          ([day, m]) => [day, sum(m.values())] as [string, number],
        ),
      ),
      start,
      endExclusive,
    );
    const daily = this.costOf('organization', aggregation, days);
    daily.groupedCosts = {
      group: topSeries(byGroupDaily, start, endExclusive, days, this).map(
        c => ({
          ...c,
          name: c.id === '' ? UNATTRIBUTED_NAME : snapshot.displayName(c.id),
        }),
      ),
    };
    return {
      currency: query.currency,
      lastCompleteBillingDate: asOf,
      start,
      endExclusive,
      total,
      attributed: total - unattributed,
      unattributed,
      monthToDate: forecast.monthToDate,
      forecast,
      daily,
      byGroup: byGroup.rows,
      byProvider: byProvider.rows,
      byServiceCategory: byServiceCategory.rows,
      budgets: budgetStatuses.map(b => b.status),
    };
  }

  /** The entity cost tab: daily cost by service over a range and the breakdown table. */
  async entityBreakdown(
    ref: string,
    start: string,
    endExclusive: string,
  ): Promise<EntityCostBreakdown> {
    const { query } = this.options;
    const scope = await query.scopeOf(ref);
    const [daily, rows] = await Promise.all([
      this.groupedDaily(scope, start, endExclusive, { service: 'serviceName' }),
      query.aggregate(scope, start, endExclusive, LINE_DIMENSIONS, {
        measures: ['billedCost', 'effectiveCost', 'listCost'],
      }),
    ]);
    const lines: CostLine[] = rows
      .map(r => ({
        serviceCategory: r.serviceCategory!,
        serviceName: r.serviceName!,
        provider: r.provider!,
        region: r.region!,
        subAccountId: r.subAccountId!,
        chargeCategory: r.chargeCategory!,
        amount: query.amountOf(r),
        billedCost: r.billedCost ?? 0,
        effectiveCost: r.effectiveCost ?? 0,
        listCost: r.listCost ?? 0,
      }))
      .sort((a, b) => b.amount - a.amount);
    return {
      entityRef: scope.ref!,
      currency: query.currency,
      start,
      endExclusive,
      total: sum(lines.map(l => l.amount)),
      daily,
      lines,
    };
  }

  /** Every rollup line of an entity or group per day over a range, for a CSV export. */
  async exportLines(
    ref: string,
    start: string,
    endExclusive: string,
  ): Promise<Array<Record<string, string | number>>> {
    const { query } = this.options;
    const scope = await query.scopeOf(ref);
    const rows = await query.aggregate(
      scope,
      start,
      endExclusive,
      ['day', 'entityRef', ...LINE_DIMENSIONS, 'consumedUnit'],
      {
        measures: [
          'billedCost',
          'effectiveCost',
          'listCost',
          'consumedQuantity',
        ],
      },
    );
    return rows
      .map(r => ({
        day: r.day!,
        entityRef: r.entityRef!,
        provider: r.provider!,
        serviceCategory: r.serviceCategory!,
        serviceName: r.serviceName!,
        region: r.region!,
        subAccountId: r.subAccountId!,
        chargeCategory: r.chargeCategory!,
        billedCost: r.billedCost ?? 0,
        effectiveCost: r.effectiveCost ?? 0,
        listCost: r.listCost ?? 0,
        consumedQuantity: r.consumedQuantity ?? 0,
        consumedUnit: r.consumedUnit!,
        currency: query.currency,
      }))
      .sort(
        (a, b) =>
          a.day.localeCompare(b.day) ||
          a.serviceName.localeCompare(b.serviceName) ||
          a.region.localeCompare(b.region),
      );
  }

  /** What drives an entity's or group's cost: its services over the last `days`, against the days before. */
  async topDrivers(ref: string, days = 30): Promise<CostBreakdownRow[]> {
    const { query } = this.options;
    const scope = await query.scopeOf(ref);
    const asOf = await query.lastCompleteBillingDate();
    const endExclusive = addDays(asOf, 1);
    const breakdown = await query.breakdown(
      scope,
      'service',
      addDays(endExclusive, -days),
      endExclusive,
    );
    return breakdown.rows.slice(0, 10);
  }

  /** A Cost Insights `Cost`: daily series with its change between halves and its trendline. */
  costOf(id: string, aggregation: DateAggregation[], days: number): Cost {
    const half = Math.floor(days / 2);
    const first = sum(
      aggregation.slice(0, aggregation.length - half).map(d => d.amount),
    );
    const second = sum(aggregation.slice(-half).map(d => d.amount));
    return {
      id,
      aggregation,
      change: changeOf(first, second),
      trendline: trendlineOf(aggregation),
    };
  }

  /** Daily cost of a scope with `groupedCosts` for each requested dimension. */
  async groupedDaily(
    scope: CostScope,
    start: string,
    endExclusive: string,
    dimensions: Record<string, RollupGroupBy>,
  ): Promise<Cost> {
    const { query } = this.options;
    const days = fillDays(new Map(), start, endExclusive).length;
    const groupedCosts: Record<string, Cost[]> = {};
    let aggregation: DateAggregation[] | undefined;
    for (const [name, column] of Object.entries(dimensions)) {
      const rows = await query.aggregate(scope, start, endExclusive, [
        'day',
        column,
      ]);
      const series = new Map<string, Map<string, number>>();
      const totals = new Map<string, number>();
      for (const row of rows) {
        const key = row[column]!;
        let m = series.get(key);
        if (!m) series.set(key, (m = new Map()));
        const amount = query.amountOf(row);
        m.set(row.day!, (m.get(row.day!) ?? 0) + amount);
        totals.set(row.day!, (totals.get(row.day!) ?? 0) + amount);
      }
      aggregation ??= fillDays(totals, start, endExclusive);
      groupedCosts[name] = topSeries(series, start, endExclusive, days, this);
    }
    const cost = this.costOf(
      scope.ref ?? 'organization',
      aggregation ?? fillDays(new Map(), start, endExclusive),
      days,
    );
    cost.groupedCosts = groupedCosts;
    return cost;
  }

  /** Entities whose cost moved most between the last 30 days and the 30 before. */
  private async movers(scope: CostScope, asOf: string): Promise<CostMover[]> {
    const { query } = this.options;
    const end = addDays(asOf, 1);
    const breakdown = await query.breakdown(
      scope,
      'entity',
      addDays(end, -30),
      end,
    );
    return breakdown.rows
      .filter(r => r.amount !== r.previousAmount)
      .sort((a, b) => Math.abs(b.change.amount) - Math.abs(a.change.amount))
      .slice(0, 5)
      .map(r => ({
        entityRef: r.key === '' ? null : r.key,
        name: r.name ?? r.key,
        current: r.amount,
        previous: r.previousAmount,
        change: r.change,
      }));
  }
}

/** The largest series by total, the rest summed into one named "Other". */
function topSeries(
  series: Map<string, Map<string, number>>,
  start: string,
  endExclusive: string,
  days: number,
  views: CostViewService,
): Cost[] {
  const ranked = [...series].sort(
    (a, b) => sum(b[1].values()) - sum(a[1].values()),
  );
  const top = ranked.slice(0, TOP_SERIES);
  const rest = ranked.slice(TOP_SERIES);
  const costs = top.map(([key, m]) =>
    views.costOf(key, fillDays(m, start, endExclusive), days),
  );
  if (rest.length > 0) {
    const other = new Map<string, number>();
    for (const [, m] of rest) {
      for (const [day, amount] of m)
        other.set(day, (other.get(day) ?? 0) + amount);
    }
    costs.push(
      views.costOf('Other', fillDays(other, start, endExclusive), days),
    );
  }
  return costs;
}

/** Adds display names to the `entity` breakdown of a grouped cost. */
function nameGroupedCosts(cost: Cost, nameOf: (ref: string) => string): Cost {
  const entity = cost.groupedCosts?.entity;
  if (!entity) return cost;
  return {
    ...cost,
    groupedCosts: {
      ...cost.groupedCosts,
      entity: entity.map(c =>
        c.id === 'Other' ? c : { ...c, name: nameOf(c.id) },
      ),
    },
  };
}
