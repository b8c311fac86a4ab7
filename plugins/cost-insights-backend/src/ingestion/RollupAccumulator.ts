import { IngestionRecord } from '@internal/plugin-cost-insights-common';
import { randomInt } from 'node:crypto';
import { addDecimal, decimalToNumber, MAX_SUM } from './focusDecimal';
import { BillingPeriodKey, DailyCostRollup } from '../database/CostStore';
import { ROLLUP_COLUMNS, RollupSumCondition } from '../database/rollupColumns';
import { AMOUNT, FocusCharge } from './FocusRowReader';

const SEP = '\u0001';
const HOURS = /hour|hrs?\b/i;

/** The dimensions a rollup is keyed by, in key order, and where each is read from (the declaration's keys). */
const {
  keys: ROLLUP_KEYS,
  labels: ROLLUP_LABELS,
  sums: ROLLUP_SUMS,
} = ROLLUP_COLUMNS;
const DIMENSIONS = ROLLUP_KEYS.length;
const KEY_FROM = ROLLUP_KEYS.map(c => c.from);
const KEY_FIELDS = ROLLUP_KEYS.map(c => c.field);
/** The dimension holding the attributed entity (not a property of the charge). */
const ENTITY_DIMENSION = KEY_FROM.indexOf('entityRef');
const LABEL_FROM = ROLLUP_LABELS.map(
  c => c.from as Exclude<(typeof c)['from'], 'entityRef'>,
);
const LABEL_FIELDS = ROLLUP_LABELS.map(c => c.field);
/**
 * The sums a rollup keeps, in the declaration's order: sum m is an exact decimal pair (workers/focusDecimal.js) at
 * 2m, then the row count. Per sum, the offset of the amount it adds in FocusCharge.amounts and when it adds it.
 */
const SUM_COUNT = ROLLUP_SUMS.length;
const SUM_FIELDS = ROLLUP_SUMS.map(c => c.field);
const SUM_AMOUNT = Int32Array.from(ROLLUP_SUMS.map(c => AMOUNT[c.of]));
/** Condition slots: every line, GPU lines, GPU lines in hours, GPU lines of unused commitments. */
const CONDITIONS: Array<RollupSumCondition | undefined> = [
  undefined,
  'gpu',
  'gpuHours',
  'gpuIdle',
];
const SUM_WHEN = Uint8Array.from(
  ROLLUP_SUMS.map(c => CONDITIONS.indexOf('when' in c ? c.when : undefined)),
);
const ROW_COUNT = SUM_COUNT * 2;
const COUNT_FIELD = ROLLUP_COLUMNS.countField;
const SUMS = ROW_COUNT + 1;
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
  /** Per label (not part of the key, SubAccountName): by rollup, the first value seen. */
  private readonly labels = LABEL_FROM.map(() => [] as string[]);
  /** Per condition slot (CONDITIONS), 1 when the charge being added meets it. */
  private readonly conditions = Uint8Array.of(1, 0, 0, 0);
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
    for (let l = 0; l < LABEL_FROM.length; l++) {
      this.labels[l].push(charge[LABEL_FROM[l]] as string);
    }
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
    for (let k = 0; k < DIMENSIONS; k++) {
      key[k] = this.idOf(
        k,
        k === ENTITY_DIMENSION
          ? entityRef
          : (charge[KEY_FROM[k] as keyof FocusCharge] as string),
      );
    }
    const at = this.rollupOfKey(charge) * SUMS;
    const sums = this.sums;
    const a = charge.amounts;
    const conditions = this.conditions;
    const gpu = charge.isGpu;
    conditions[1] = gpu ? 1 : 0;
    conditions[2] = gpu && this.isHours(charge.consumedUnit) ? 1 : 0;
    conditions[3] = gpu && charge.unusedCommitment ? 1 : 0;
    let exact = true;
    for (let m = 0; m < SUM_COUNT; m++) {
      if (conditions[SUM_WHEN[m]] === 1) {
        const o = SUM_AMOUNT[m];
        exact = addDecimal(sums, at + 2 * m, a[o], a[o + 1]) && exact;
      }
    }
    sums[at + ROW_COUNT] += lines;
    const billedHi = a[AMOUNT.billedCost];
    const billedLo = a[AMOUNT.billedCost + 1];
    const effectiveHi = a[AMOUNT.effectiveCost];
    const effectiveLo = a[AMOUNT.effectiveCost + 1];
    const listHi = a[AMOUNT.listCost];
    const listLo = a[AMOUNT.listCost + 1];

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
    const keys = this.keys;
    const sums = this.sums;
    for (let r = 0; r < this.count; r++) {
      const k = r * DIMENSIONS;
      const s = r * SUMS;
      const rollup: Record<string, string | number> = {};
      for (let d = 0; d < DIMENSIONS; d++) {
        rollup[KEY_FIELDS[d]] = v[d][keys[k + d]];
      }
      for (let l = 0; l < LABEL_FIELDS.length; l++) {
        rollup[LABEL_FIELDS[l]] = this.labels[l][r];
      }
      for (let m = 0; m < SUM_COUNT; m++) {
        rollup[SUM_FIELDS[m]] = decimalToNumber(
          sums[s + 2 * m],
          sums[s + 2 * m + 1],
        );
      }
      rollup[COUNT_FIELD] = sums[s + ROW_COUNT];
      rollups.push(rollup as DailyCostRollup);
    }
    return { rollups, periods: [...this.periods.values()] };
  }
}
