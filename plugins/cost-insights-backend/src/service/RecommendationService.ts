import {
  addDays,
  dayOfWeek,
  Recommendation,
} from '@internal/plugin-cost-insights-common';
import { BudgetService } from './BudgetService';
import { CostQueryService } from './CostQueryService';
import { CostScope } from './CostScope';
import { money } from './money';

/** Average days per month, to turn a 30-day figure into a monthly one. */
const DAYS_PER_MONTH = 365.25 / 12;
/** Average weekend days per month. */
const WEEKEND_DAYS_PER_MONTH = (2 * 365.25) / 7 / 12;
/** Entity types that serve traffic around the clock: their weekend GPU use is expected. */
const ALWAYS_ON_TYPES = new Set(['service', 'ml-service', 'website', 'api']);

/**
 * Recommendations with their estimated monthly effect:
 * - tag unattributed spend (organisation only): per provider sub-account, from the last 30 days;
 * - idle GPU capacity: GPU commitments billed as unused (FOCUS CommitmentDiscountStatus = Unused);
 * - GPUs running off-hours: batch and interactive entities whose GPU spend on weekends is at least 70% of
 *   weekdays, from the last four full weeks; the estimate assumes those weekend hours are idle;
 * - budget overruns: forecast month end above the budget, or growth that breaks it within 30 days.
 */
export class RecommendationService {
  constructor(
    private readonly options: {
      query: CostQueryService;
      budgets: BudgetService;
    },
  ) {}

  async recommendations(scope: CostScope): Promise<Recommendation[]> {
    const asOf = await this.options.query.lastCompleteBillingDate();
    const found = [
      ...(scope.kind === 'organization'
        ? await this.unattributedSpend(asOf)
        : []),
      ...(await this.gpu(scope, asOf)),
      ...(await this.budgetOverruns(scope)),
    ];
    return found.sort(
      (a, b) =>
        b.estimatedMonthlySavings - a.estimatedMonthlySavings ||
        b.monthlyCost - a.monthlyCost,
    );
  }

  private async unattributedSpend(asOf: string): Promise<Recommendation[]> {
    const { query } = this.options;
    const start = addDays(asOf, -29);
    const end = addDays(asOf, 1);
    const unattributed = { kind: 'entity' as const, name: '', costRefs: [''] };
    const [rows, total] = await Promise.all([
      query.aggregate(unattributed, start, end, [
        'provider',
        'subAccountId',
        'serviceName',
      ]),
      query.aggregate({ kind: 'organization', name: '' }, start, end, []),
    ]);
    const orgTotal = total.length ? query.amountOf(total[0]) : 0;
    const bySubAccount = new Map<
      string,
      {
        provider: string;
        subAccountId: string;
        amount: number;
        services: Map<string, number>;
      }
    >();
    for (const row of rows) {
      const key = `${row.provider}\u0001${row.subAccountId}`;
      let entry = bySubAccount.get(key);
      if (!entry) {
        entry = {
          provider: row.provider!,
          subAccountId: row.subAccountId!,
          amount: 0,
          services: new Map(),
        };
        bySubAccount.set(key, entry);
      }
      const amount = query.amountOf(row);
      entry.amount += amount;
      entry.services.set(
        row.serviceName!,
        (entry.services.get(row.serviceName!) ?? 0) + amount,
      );
    }
    const threshold = Math.max(1, 0.005 * orgTotal);
    return [...bySubAccount.values()]
      .filter(e => e.amount >= threshold)
      .map(e => {
        const top = [...e.services]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([name]) => name);
        const where = e.subAccountId
          ? `sub-account ${e.subAccountId} (${e.provider})`
          : `${e.provider} spend without a sub-account`;
        return {
          id: `tag-unattributed-spend:${e.provider}:${e.subAccountId}`,
          kind: 'tag-unattributed-spend' as const,
          title: `Tag the unattributed spend of ${where}`,
          description: `${money(
            e.amount,
            query.currency,
          )} in the last 30 days matched no catalog entity, mostly ${top.join(
            ', ',
          )}. Nobody sees it on a team page or budget until it is attributed.`,
          action:
            "Tag the resources with a key=value that an entity's forge.io/cost-tags annotation claims, or with forge-entity=<entity name>, or map the sub-account to a group under forge.cost.attribution.subAccounts.",
          monthlyCost: (e.amount * DAYS_PER_MONTH) / 30,
          estimatedMonthlySavings: 0,
          currency: query.currency,
        };
      });
  }

  private async gpu(scope: CostScope, asOf: string): Promise<Recommendation[]> {
    const { query } = this.options;
    const snapshot = await query.snapshot();
    // Four full weeks, so weekdays and weekend days are equally represented.
    const start = addDays(asOf, -27);
    const rows = await query.aggregate(
      scope,
      start,
      addDays(asOf, 1),
      ['entityRef', 'day'],
      { measures: ['gpuCost', 'gpuIdleCost'] },
    );
    const byEntity = new Map<
      string,
      { gpu: number; idle: number; weekday: number; weekend: number }
    >();
    for (const row of rows) {
      if (!row.entityRef || !snapshot.entities.has(row.entityRef)) continue;
      let e = byEntity.get(row.entityRef);
      if (!e)
        byEntity.set(
          row.entityRef,
          (e = { gpu: 0, idle: 0, weekday: 0, weekend: 0 }),
        );
      const gpu = row.gpuCost ?? 0;
      e.gpu += gpu;
      e.idle += row.gpuIdleCost ?? 0;
      if ([0, 6].includes(dayOfWeek(row.day!))) e.weekend += gpu;
      else e.weekday += gpu;
    }
    const found: Recommendation[] = [];
    for (const [entityRef, e] of byEntity) {
      const entity = snapshot.entities.get(entityRef)!;
      const name = snapshot.displayName(entityRef);
      const monthlyGpu = (e.gpu * DAYS_PER_MONTH) / 28;
      if (e.idle > 1) {
        const monthlyIdle = (e.idle * DAYS_PER_MONTH) / 28;
        found.push({
          id: `idle-gpu-capacity:${entityRef}`,
          kind: 'idle-gpu-capacity',
          title: `Release idle GPU capacity of ${name}`,
          description: `${money(
            e.idle,
            query.currency,
          )} of GPU commitments were billed as unused in the last 4 weeks (${Math.round(
            (100 * e.idle) / Math.max(e.gpu, 1e-9),
          )}% of its GPU spend).`,
          action:
            'Resize or let expire the GPU reservation or savings plan to what the workload uses, or move other GPU work onto it.',
          entityRef,
          groupRef: entity.ownerRef,
          monthlyCost: monthlyGpu,
          estimatedMonthlySavings: monthlyIdle,
          currency: query.currency,
        });
      }
      const weekdayAverage = e.weekday / 20;
      const weekendAverage = e.weekend / 8;
      if (
        !ALWAYS_ON_TYPES.has(entity.type ?? '') &&
        weekdayAverage >= 10 &&
        weekendAverage >= 0.7 * weekdayAverage
      ) {
        found.push({
          id: `gpu-running-off-hours:${entityRef}`,
          kind: 'gpu-running-off-hours',
          title: `Stop ${name}'s GPUs outside working days`,
          description: `Its GPUs cost ${money(
            weekendAverage,
            query.currency,
          )} per weekend day against ${money(
            weekdayAverage,
            query.currency,
          )} per weekday: they keep running when nobody works${
            entity.type ? ` on a ${entity.type}` : ''
          }.`,
          action:
            'Scale the GPU node pool or workspace to zero on weekends and nights (a schedule or an idle timeout); keep always-on GPUs for serving only.',
          entityRef,
          groupRef: entity.ownerRef,
          monthlyCost: monthlyGpu,
          estimatedMonthlySavings: weekendAverage * WEEKEND_DAYS_PER_MONTH,
          currency: query.currency,
        });
      }
    }
    return found;
  }

  private async budgetOverruns(scope: CostScope): Promise<Recommendation[]> {
    const { query, budgets } = this.options;
    const snapshot = await query.snapshot();
    const inScope = (ref: string) =>
      scope.kind === 'organization' || (scope.costRefs ?? []).includes(ref);
    const found: Recommendation[] = [];
    for (const { status, forecast } of await budgets.allStatuses()) {
      if (!inScope(status.entityRef)) continue;
      const name = snapshot.displayName(status.entityRef);
      const groupRef = snapshot.owningGroup(status.entityRef);
      if (status.forecastMonthEnd.amount > status.monthlyAmount) {
        const over = status.forecastMonthEnd.amount - status.monthlyAmount;
        found.push({
          id: `budget-overrun:${status.entityRef}:${status.month}`,
          kind: 'budget-overrun',
          title: `${name} will exceed its budget this month`,
          description: `Forecast month end ${money(
            status.forecastMonthEnd.amount,
            query.currency,
          )} against a budget of ${money(
            status.monthlyAmount,
            query.currency,
          )} (${Math.round(100 * status.forecastRatio)}%); ${Math.round(
            100 * status.usedRatio,
          )}% is already spent.`,
          action:
            'Find the growth on the team page (top movers, anomalies) and stop or resize it, or raise the budget if the growth is intended.',
          entityRef: status.entityRef,
          groupRef,
          monthlyCost: status.forecastMonthEnd.amount,
          estimatedMonthlySavings: over,
          currency: query.currency,
        });
      } else if (forecast.next30Days.amount > status.monthlyAmount) {
        const over = forecast.next30Days.amount - status.monthlyAmount;
        found.push({
          id: `budget-overrun:${status.entityRef}:next-30-days`,
          kind: 'budget-overrun',
          title: `${name}'s growth will break its budget within 30 days`,
          description: `The next 30 days are forecast at ${money(
            forecast.next30Days.amount,
            query.currency,
          )}, above the monthly budget of ${money(
            status.monthlyAmount,
            query.currency,
          )}.`,
          action:
            'Check whether the growth is intended; if not, stop it before the next month starts, otherwise raise the budget.',
          entityRef: status.entityRef,
          groupRef,
          monthlyCost: forecast.next30Days.amount,
          estimatedMonthlySavings: over,
          currency: query.currency,
        });
      }
    }
    return found;
  }
}
