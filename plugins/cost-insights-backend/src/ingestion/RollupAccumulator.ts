import { IngestionRecord } from '@internal/plugin-cost-insights-common';
import { BillingPeriodKey, DailyCostRollup } from '../database/CostStore';
import { FocusCharge } from './FocusRowReader';

const SEP = '\u0001';

/**
 * Sums validated charges into daily rollups in memory. Memory grows with the distinct rollup keys (entities x
 * days x services...), not with the number of rows, so a file of any length fits.
 */
export class RollupAccumulator {
  private readonly rollups = new Map<string, DailyCostRollup>();
  private readonly periods = new Map<string, BillingPeriodKey>();
  readonly totals: IngestionRecord['totals'] = {};

  constructor(private readonly gpuPattern: RegExp) {}

  add(charge: FocusCharge, entityRef: string) {
    const key =
      charge.day +
      SEP +
      charge.billingAccountId +
      SEP +
      charge.billingPeriodStart +
      SEP +
      entityRef +
      SEP +
      charge.provider +
      SEP +
      charge.serviceCategory +
      SEP +
      charge.serviceName +
      SEP +
      charge.region +
      SEP +
      charge.subAccountId +
      SEP +
      charge.chargeCategory +
      SEP +
      charge.currency +
      SEP +
      charge.consumedUnit;
    let rollup = this.rollups.get(key);
    if (!rollup) {
      rollup = {
        day: charge.day,
        billingAccountId: charge.billingAccountId,
        billingPeriodStart: charge.billingPeriodStart,
        entityRef,
        provider: charge.provider,
        serviceCategory: charge.serviceCategory,
        serviceName: charge.serviceName,
        region: charge.region,
        subAccountId: charge.subAccountId,
        subAccountName: charge.subAccountName,
        chargeCategory: charge.chargeCategory,
        currency: charge.currency,
        consumedUnit: charge.consumedUnit,
        billedCost: 0,
        effectiveCost: 0,
        listCost: 0,
        consumedQuantity: 0,
        gpuCost: 0,
        gpuHours: 0,
        gpuIdleCost: 0,
        rowCount: 0,
      };
      this.rollups.set(key, rollup);
      const periodKey =
        charge.billingAccountId + SEP + charge.billingPeriodStart;
      if (!this.periods.has(periodKey)) {
        this.periods.set(periodKey, {
          billingAccountId: charge.billingAccountId,
          billingPeriodStart: charge.billingPeriodStart,
        });
      }
    }
    rollup.billedCost += charge.billedCost;
    rollup.effectiveCost += charge.effectiveCost;
    rollup.listCost += charge.listCost;
    rollup.consumedQuantity += charge.consumedQuantity;
    rollup.rowCount += 1;
    if (this.gpuPattern.test(charge.gpuHints)) {
      rollup.gpuCost += charge.effectiveCost;
      if (/hour|hrs?\b/i.test(charge.consumedUnit)) {
        rollup.gpuHours += charge.consumedQuantity;
      }
      if (charge.commitmentDiscountStatus.toLowerCase() === 'unused') {
        rollup.gpuIdleCost += charge.effectiveCost;
      }
    }

    let total = this.totals[charge.currency];
    if (!total) {
      total = { billed: 0, effective: 0, list: 0 };
      this.totals[charge.currency] = total;
    }
    total.billed += charge.billedCost;
    total.effective += charge.effectiveCost;
    total.list += charge.listCost;
  }

  result(): { rollups: DailyCostRollup[]; periods: BillingPeriodKey[] } {
    return {
      rollups: [...this.rollups.values()],
      periods: [...this.periods.values()],
    };
  }
}
