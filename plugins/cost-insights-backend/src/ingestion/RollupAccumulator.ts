import { IngestionRecord } from '@internal/plugin-cost-insights-common';
import { randomInt } from 'node:crypto';
import { addDecimal, decimalToNumber, MAX_SUM } from './focusDecimal';
import { BillingPeriodKey, DailyCostRollup } from '../database/CostStore';
import { AMOUNT, FocusCharge } from './FocusRowReader';

const SEP = '\u0001';
const HOURS = /hour|hrs?\b/i;

/** The dimensions a rollup is keyed by, in key order. */
const DIMENSIONS = 12;
/** The sums a rollup keeps, in `sums` order: each an exact decimal pair (workers/focusDecimal.js), then the row count. */
const BILLED = 0;
const EFFECTIVE = 2;
const LIST = 4;
const QUANTITY = 6;
const GPU_COST = 8;
const GPU_HOURS = 10;
const GPU_IDLE = 12;
const ROW_COUNT = 14;
const SUMS = 15;
/** A currency's totals: billed, effective and list, each a pair. */
const TOTALS = 6;

/** A sum went past what Forge sums exactly (MAX_SUM): the file is refused rather than stored inexactly. */
export class SumOverflowError extends Error {
  name = 'SumOverflowError';
  constructor() {
    super(
      `a sum of this file reaches ${new Intl.NumberFormat('en-US').format(
        MAX_SUM,
      )} in magnitude, beyond what Forge sums exactly`,
    );
  }
}

/**
 * Sums validated charges into daily rollups in memory. Memory grows with the distinct rollup keys (entities x
 * days x services...), not with the number of rows, so a file of any length fits.
 *
 * It runs once per billing line on the ingestion's main thread, so it is written for that: each dimension's value
 * is interned to a small number, and rollups live in an open-addressing table over those numbers with their sums
 * in typed arrays. A Map keyed by a string built per line (tried first) spent most of its time making and hashing
 * the key; this table compares twelve integers and allocates nothing per line.
 */
export class RollupAccumulator {
  private readonly periods = new Map<string, BillingPeriodKey>();
  /** Per currency, its exact totals (TOTALS slots). */
  private readonly currencyTotals = new Map<string, Float64Array>();

  /** Per dimension, its values' ids and, by id, the values. */
  private readonly ids = Array.from(
    { length: DIMENSIONS },
    () => new Map<string, number>(),
  );
  private readonly values = Array.from(
    { length: DIMENSIONS },
    () => [] as string[],
  );
  /**
   * Per dimension, the value of the charge before and its id: consecutive billing lines share most values, and the
   * parser hands a repeated value over as the same string, so most dimensions are one pointer comparison.
   */
  private readonly lastValues = new Array<string | undefined>(DIMENSIONS);
  private readonly lastIds = new Int32Array(DIMENSIONS);
  /** The key of the charge being added. */
  private readonly key = new Int32Array(DIMENSIONS);

  /** Rollups so far; rollup r's key is keys[r * DIMENSIONS ...], its sums sums[r * SUMS ...]. */
  private count = 0;
  private keys = new Int32Array(1024 * DIMENSIONS);
  private sums = new Float64Array(1024 * SUMS);
  /** SubAccountName is not part of the key: the first one seen for a rollup's sub-account. */
  private readonly subAccountNames: string[] = [];
  /** Open addressing: per slot, a rollup index plus one (0 for an empty slot). */
  private slots = new Int32Array(4096);

  private lastCurrency: string | undefined;
  private lastTotal: Float64Array = new Float64Array(TOTALS);
  private lastUnit: string | undefined;
  private lastUnitIsHours = false;

  private idOf(dimension: number, value: string): number {
    if (this.lastValues[dimension] === value) return this.lastIds[dimension];
    const ids = this.ids[dimension];
    let id = ids.get(value);
    if (id === undefined) {
      id = ids.size;
      ids.set(value, id);
      this.values[dimension].push(value);
    }
    this.lastValues[dimension] = value;
    this.lastIds[dimension] = id;
    return id;
  }

  /**
   * Hash of a key. Seeded per accumulator and finished with murmur3's mixer: the ids are small numbers in the order
   * values first appear, which whoever writes the file controls, and an unseeded hash would let a crafted upload
   * pile its keys into a few slots and stall the event loop.
   */
  private hashOf(keys: Int32Array, at: number): number {
    let hash = this.seed;
    for (let k = 0; k < DIMENSIONS; k++) {
      hash = Math.imul(hash ^ keys[at + k], 0x01000193);
    }
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    return hash ^ (hash >>> 16);
  }

  private readonly seed = randomInt(0x7fffffff) | 0;

  /** The rollup of the key in `this.key`, created (with zero sums) when new. */
  private rollupOfKey(charge: FocusCharge): number {
    const key = this.key;
    const hash = this.hashOf(key, 0);
    const mask = this.slots.length - 1;
    const keys = this.keys;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot];
      if (entry === 0) {
        return this.create(slot, charge);
      }
      const base = (entry - 1) * DIMENSIONS;
      let k = 0;
      while (k < DIMENSIONS && keys[base + k] === key[k]) k++;
      if (k === DIMENSIONS) return entry - 1;
    }
  }

  private create(slot: number, charge: FocusCharge): number {
    const r = this.count;
    if ((r + 1) * DIMENSIONS > this.keys.length) {
      const keys = new Int32Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
      const sums = new Float64Array(this.sums.length * 2);
      sums.set(this.sums);
      this.sums = sums;
    }
    this.keys.set(this.key, r * DIMENSIONS);
    this.subAccountNames.push(charge.subAccountName);
    this.slots[slot] = r + 1;
    this.count = r + 1;
    if (this.count * 2 > this.slots.length) this.grow();

    const periodKey = charge.billingAccountId + SEP + charge.billingPeriodStart;
    if (!this.periods.has(periodKey)) {
      this.periods.set(periodKey, {
        billingAccountId: charge.billingAccountId,
        billingPeriodStart: charge.billingPeriodStart,
      });
    }
    return r;
  }

  /** Doubles the table, placing every rollup again. */
  private grow() {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let r = 0; r < this.count; r++) {
      let slot = this.hashOf(this.keys, r * DIMENSIONS) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = r + 1;
    }
    this.slots = slots;
  }

  /**
   * Adds a charge to its rollup and its currency's totals, exactly. `lines` is how many billing lines it stands for
   * (a query's pre-aggregated row stands for many). Throws a SumOverflowError when a sum reaches MAX_SUM.
   */
  add(charge: FocusCharge, entityRef: string, lines = 1) {
    const key = this.key;
    key[0] = this.idOf(0, charge.day);
    key[1] = this.idOf(1, charge.billingAccountId);
    key[2] = this.idOf(2, charge.billingPeriodStart);
    key[3] = this.idOf(3, entityRef);
    key[4] = this.idOf(4, charge.provider);
    key[5] = this.idOf(5, charge.serviceCategory);
    key[6] = this.idOf(6, charge.serviceName);
    key[7] = this.idOf(7, charge.region);
    key[8] = this.idOf(8, charge.subAccountId);
    key[9] = this.idOf(9, charge.chargeCategory);
    key[10] = this.idOf(10, charge.currency);
    key[11] = this.idOf(11, charge.consumedUnit);
    const at = this.rollupOfKey(charge) * SUMS;
    const sums = this.sums;
    const a = charge.amounts;
    const billedHi = a[AMOUNT.billedCost];
    const billedLo = a[AMOUNT.billedCost + 1];
    const effectiveHi = a[AMOUNT.effectiveCost];
    const effectiveLo = a[AMOUNT.effectiveCost + 1];
    const listHi = a[AMOUNT.listCost];
    const listLo = a[AMOUNT.listCost + 1];
    const quantityHi = a[AMOUNT.consumedQuantity];
    const quantityLo = a[AMOUNT.consumedQuantity + 1];
    let exact =
      addDecimal(sums, at + BILLED, billedHi, billedLo) &&
      addDecimal(sums, at + EFFECTIVE, effectiveHi, effectiveLo) &&
      addDecimal(sums, at + LIST, listHi, listLo) &&
      addDecimal(sums, at + QUANTITY, quantityHi, quantityLo);
    sums[at + ROW_COUNT] += lines;
    if (charge.isGpu) {
      exact =
        addDecimal(sums, at + GPU_COST, effectiveHi, effectiveLo) && exact;
      if (this.isHours(charge.consumedUnit)) {
        exact =
          addDecimal(sums, at + GPU_HOURS, quantityHi, quantityLo) && exact;
      }
      if (charge.unusedCommitment) {
        exact =
          addDecimal(sums, at + GPU_IDLE, effectiveHi, effectiveLo) && exact;
      }
    }

    let total = this.lastTotal;
    if (charge.currency !== this.lastCurrency) {
      total =
        this.currencyTotals.get(charge.currency) ?? new Float64Array(TOTALS);
      this.currencyTotals.set(charge.currency, total);
      this.lastCurrency = charge.currency;
      this.lastTotal = total;
    }
    exact =
      addDecimal(total, 0, billedHi, billedLo) &&
      addDecimal(total, 2, effectiveHi, effectiveLo) &&
      addDecimal(total, 4, listHi, listLo) &&
      exact;
    if (!exact) throw new SumOverflowError();
  }

  /** Sums per currency of what was added. */
  get totals(): IngestionRecord['totals'] {
    const totals: IngestionRecord['totals'] = {};
    for (const [currency, t] of this.currencyTotals) {
      totals[currency] = {
        billed: decimalToNumber(t[0], t[1]),
        effective: decimalToNumber(t[2], t[3]),
        list: decimalToNumber(t[4], t[5]),
      };
    }
    return totals;
  }

  private isHours(unit: string): boolean {
    if (unit !== this.lastUnit) {
      this.lastUnit = unit;
      this.lastUnitIsHours = HOURS.test(unit);
    }
    return this.lastUnitIsHours;
  }

  result(): { rollups: DailyCostRollup[]; periods: BillingPeriodKey[] } {
    const v = this.values;
    const rollups: DailyCostRollup[] = [];
    for (let r = 0; r < this.count; r++) {
      const k = r * DIMENSIONS;
      const s = r * SUMS;
      const keys = this.keys;
      const sums = this.sums;
      rollups.push({
        day: v[0][keys[k]],
        billingAccountId: v[1][keys[k + 1]],
        billingPeriodStart: v[2][keys[k + 2]],
        entityRef: v[3][keys[k + 3]],
        provider: v[4][keys[k + 4]],
        serviceCategory: v[5][keys[k + 5]],
        serviceName: v[6][keys[k + 6]],
        region: v[7][keys[k + 7]],
        subAccountId: v[8][keys[k + 8]],
        subAccountName: this.subAccountNames[r],
        chargeCategory: v[9][keys[k + 9]],
        currency: v[10][keys[k + 10]],
        consumedUnit: v[11][keys[k + 11]],
        billedCost: decimalToNumber(sums[s + BILLED], sums[s + BILLED + 1]),
        effectiveCost: decimalToNumber(
          sums[s + EFFECTIVE],
          sums[s + EFFECTIVE + 1],
        ),
        listCost: decimalToNumber(sums[s + LIST], sums[s + LIST + 1]),
        consumedQuantity: decimalToNumber(
          sums[s + QUANTITY],
          sums[s + QUANTITY + 1],
        ),
        gpuCost: decimalToNumber(sums[s + GPU_COST], sums[s + GPU_COST + 1]),
        gpuHours: decimalToNumber(sums[s + GPU_HOURS], sums[s + GPU_HOURS + 1]),
        gpuIdleCost: decimalToNumber(
          sums[s + GPU_IDLE],
          sums[s + GPU_IDLE + 1],
        ),
        rowCount: sums[s + ROW_COUNT],
      });
    }
    return { rollups, periods: [...this.periods.values()] };
  }
}
