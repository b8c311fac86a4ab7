import { IngestionRecord } from '@internal/plugin-cost-insights-common';
import { BillingPeriodKey, DailyCostRollup } from '../database/CostStore';
import { FocusCharge } from './FocusRowReader';

const SEP = '\u0001';
const HOURS = /hour|hrs?\b/i;

/**
 * Sums validated charges into daily rollups in memory. Memory grows with the distinct rollup keys (entities x
 * days x services...), not with the number of rows, so a file of any length fits.
 */
export class RollupAccumulator {
  private readonly rollups = new Map<string, DailyCostRollup>();
  private readonly periods = new Map<string, BillingPeriodKey>();
  readonly totals: IngestionRecord['totals'] = {};

  /** Interned values per dimension: rollup keys are built from small numbers rather than long strings. */
  private readonly dimensions = Array.from(
    { length: 12 },
    () => new Map<string, number>(),
  );
  private readonly codes = new Array<number>(24).fill(0);
  /**
   * Per dimension, the value of the charge before and its id: consecutive billing lines share most values, and the
   * parser hands a repeated value over as the same string, so most dimensions are one pointer comparison.
   */
  private readonly lastValues = new Array<string | undefined>(12);
  private readonly lastIds = new Int32Array(12);

  private idOf(dimension: number, value: string): number {
    if (this.lastValues[dimension] === value) return this.lastIds[dimension];
    const values = this.dimensions[dimension];
    let id = values.get(value);
    if (id === undefined) {
      id = values.size;
      values.set(value, id);
    }
    this.lastValues[dimension] = value;
    this.lastIds[dimension] = id;
    return id;
  }

  /**
   * The rollup key of a charge: each dimension's value interned to a number, the numbers packed two UTF-16
   * units each into a short string. Hashing 24 characters instead of the ~150 of the joined values is what keeps
   * ingestion close to the parser's speed.
   */
  private keyOf(charge: FocusCharge, entityRef: string): string {
    const codes = this.codes;
    const parts = [
      charge.day,
      charge.billingAccountId,
      charge.billingPeriodStart,
      entityRef,
      charge.provider,
      charge.serviceCategory,
      charge.serviceName,
      charge.region,
      charge.subAccountId,
      charge.chargeCategory,
      charge.currency,
      charge.consumedUnit,
    ];
    for (let k = 0; k < parts.length; k++) {
      const id = this.idOf(k, parts[k]);
      codes[2 * k] = id & 0xffff;
      codes[2 * k + 1] = id >>> 16;
    }
    return String.fromCharCode.apply(null, codes);
  }

  add(charge: FocusCharge, entityRef: string) {
    const key = this.keyOf(charge, entityRef);
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
    if (charge.isGpu) {
      rollup.gpuCost += charge.effectiveCost;
      if (HOURS.test(charge.consumedUnit)) {
        rollup.gpuHours += charge.consumedQuantity;
      }
      if (charge.unusedCommitment) {
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
