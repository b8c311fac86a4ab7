import {
  detectFocusVersion,
  FOCUS_CHARGE_CATEGORIES,
  FOCUS_OPTIONAL_COLUMNS,
  FOCUS_REQUIRED_COLUMNS,
  FocusChargeCategory,
  FocusColumn,
  FocusVersion,
} from '@internal/plugin-cost-insights-common';
import { isNull, parseDecimal, parseTimestamp, utcDay } from './focusValues';

/** One FOCUS row, validated and reduced to what Forge keeps. */
export type FocusCharge = {
  /** UTC day of ChargePeriodStart. */
  day: string;
  billingAccountId: string;
  billingPeriodStart: string;
  provider: string;
  serviceCategory: string;
  serviceName: string;
  region: string;
  subAccountId: string;
  subAccountName: string;
  chargeCategory: FocusChargeCategory;
  currency: string;
  consumedUnit: string;
  billedCost: number;
  effectiveCost: number;
  listCost: number;
  consumedQuantity: number;
  /** The raw Tags column (JSON), or undefined when absent. */
  tags: string | undefined;
  /** CommitmentDiscountStatus was Unused: capacity paid for and not used. */
  unusedCommitment: boolean;
  /** The SKU, resource type, description or unit names a GPU. */
  isGpu: boolean;
};

/**
 * The fields of a row. A number stands for a decimal field the parser already read (readFocusRecords does so
 * for the columns of `numericColumns()`); anything unusual about a value, NULL or a typo, reaches the reader as
 * its text.
 */
export type FocusFields = ReadonlyArray<string | number>;

/** Why a row was refused: the column at fault, if one, and the reason. */
export type RowProblem = { column?: string; reason: string };

/** Why a whole file was refused before any row was read. */
export class FocusFileError extends Error {
  name = 'FocusFileError';
}

const CHARGE_CATEGORY_EXACT = new Map<string, FocusChargeCategory>(
  FOCUS_CHARGE_CATEGORIES.map(c => [c, c]),
);
const CHARGE_CATEGORIES = new Map<string, FocusChargeCategory>(
  FOCUS_CHARGE_CATEGORIES.map(c => [c.toLowerCase(), c]),
);

function isUnused(status: string): boolean {
  return (
    status === 'Unused' ||
    (status.length === 6 && status.toLowerCase() === 'unused')
  );
}
const NON_EMPTY: FocusColumn[] = [
  'BillingAccountId',
  'ProviderName',
  'ServiceName',
  'ServiceCategory',
];
const NUMERIC: FocusColumn[] = [
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'ConsumedQuantity',
];
const GPU_HINTS: FocusColumn[] = [
  'SkuId',
  'ResourceType',
  'ChargeDescription',
  'ConsumedUnit',
];
/** Every column Forge reads, numbered: rows are read by position, resolved once from the header. */
const COLUMNS = [...FOCUS_REQUIRED_COLUMNS, ...FOCUS_OPTIONAL_COLUMNS];
const C = Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<
  FocusColumn,
  number
>;

const CACHE_LIMIT = 10_000;
const CURRENCY = /^[A-Z]{3}$/;

/** A bounded memo: exports repeat the same timestamps, SKUs and descriptions row after row. */
function memo<T>(compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return key => {
    const known = cache.get(key);
    if (known !== undefined || cache.has(key)) return known as T;
    const value = compute(key);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, value);
    return value;
  };
}

/**
 * Validates rows of one FOCUS export against its header: mandatory columns, types, allowed ChargeCategory
 * values. Column names match case-insensitively; unknown extra columns are ignored. Written for speed (it runs
 * once per billing line): column positions are resolved once, repeated values are memoised.
 */
export class FocusRowReader {
  readonly version: FocusVersion;
  readonly columnCount: number;
  /** Position in the row of each of COLUMNS, -1 when the export lacks it. */
  private readonly positions: Int32Array;
  private readonly timestamp = memo(parseTimestamp);
  private readonly gpuHint: (value: string) => boolean;
  private readonly gpuBySku = new Map<string, boolean>();

  constructor(header: string[], options: { gpuPattern: RegExp }) {
    const names = header.map(h => h.trim());
    this.columnCount = names.length;
    this.version = detectFocusVersion(names);
    const byLowerName = new Map<string, number>();
    for (const [i, name] of names.entries()) {
      const lower = name.toLowerCase();
      if (byLowerName.has(lower)) {
        throw new FocusFileError(
          `Line 1: column ${name} appears twice; each FOCUS column must appear once`,
        );
      }
      byLowerName.set(lower, i);
    }
    const missing = FOCUS_REQUIRED_COLUMNS.filter(
      c => !byLowerName.has(c.toLowerCase()),
    );
    if (missing.length > 0) {
      throw new FocusFileError(
        `Line 1: not a FOCUS 1.0-1.2 export, missing column${
          missing.length > 1 ? 's' : ''
        } ${missing.join(
          ', ',
        )}. The header must name at least ${FOCUS_REQUIRED_COLUMNS.join(', ')}`,
      );
    }
    this.positions = Int32Array.from(
      COLUMNS.map(c => byLowerName.get(c.toLowerCase()) ?? -1),
    );
    const pattern = options.gpuPattern;
    this.gpuHint = memo(value => pattern.test(value));
  }

  /** Positions in the row of the columns this reader reads; the others it never looks at. */
  columnsRead(): number[] {
    return [...this.positions].filter(i => i >= 0);
  }

  /** Positions of the decimal columns (costs and quantity), which may be handed over as numbers. */
  numericColumns(): number[] {
    return NUMERIC.map(c => this.positions[C[c]]).filter(i => i >= 0);
  }

  /**
   * Whether a SKU is a GPU, decided once per SKU from the row's SKU, resource type, description and unit: a
   * provider's SKU fixes the others, and billing lines repeat the same few hundred SKUs.
   */
  private gpuSku(sku: string, fields: FocusFields): boolean {
    let known = this.gpuBySku.get(sku);
    if (known === undefined) {
      known = this.gpuHints(fields);
      if (this.gpuBySku.size >= CACHE_LIMIT) this.gpuBySku.clear();
      this.gpuBySku.set(sku, known);
    }
    return known;
  }

  private gpuHints(fields: FocusFields): boolean {
    for (const column of GPU_HINTS) {
      const hint = this.text(fields, C[column]);
      if (hint !== '' && this.gpuHint(hint)) return true;
    }
    return false;
  }

  /**
   * A decimal column as a number, or the problem with it. Empty, NULL or absent is `absent` when one is given (an
   * optional column), a problem otherwise.
   */
  private decimal(
    fields: FocusFields,
    column: number,
    absent?: number,
  ): number | RowProblem {
    const i = this.positions[column];
    if (i >= 0 && typeof fields[i] === 'number') return fields[i] as number;
    const raw = this.raw(fields, column);
    if (isNull(raw)) {
      return (
        absent ?? {
          column: COLUMNS[column],
          reason: 'is empty; FOCUS requires a number',
        }
      );
    }
    const n = parseDecimal(raw!);
    return n === undefined
      ? { column: COLUMNS[column], reason: `"${raw}" is not a number` }
      : n;
  }

  /** A mandatory timestamp column in epoch milliseconds, or the problem with it. */
  private time(fields: FocusFields, column: number): number | RowProblem {
    const i = this.positions[column];
    const field = i >= 0 ? fields[i] : undefined;
    if (field !== undefined && field === this.lastField[column]) {
      return this.lastValue[column] as number;
    }
    const ms = this.parseTime(fields, column);
    if (typeof ms === 'number' && field !== undefined) {
      this.lastField[column] = field;
      this.lastValue[column] = ms;
    }
    return ms;
  }

  private parseTime(fields: FocusFields, column: number): number | RowProblem {
    const raw = this.raw(fields, column);
    if (isNull(raw)) {
      return {
        column: COLUMNS[column],
        reason: 'is empty; FOCUS requires a timestamp',
      };
    }
    const ms = this.timestamp(raw!);
    return ms === undefined
      ? {
          column: COLUMNS[column],
          reason: `"${raw}" is not a timestamp like 2024-09-01T00:00:00Z or 2024-09-01 00:00:00`,
        }
      : ms;
  }

  /** A field's value, undefined when the column is absent. */
  private raw(fields: FocusFields, column: number): string | undefined {
    const i = this.positions[column];
    if (i < 0) return undefined;
    const value = fields[i];
    return typeof value === 'number' ? String(value) : value;
  }

  /**
   * Per column, the last field read and what it read as (its text, or a timestamp's milliseconds). Rows repeat most
   * of the row before, so a comparison usually answers.
   */
  private readonly lastField = new Array<string | number | undefined>(
    COLUMNS.length,
  );
  private readonly lastValue = new Array<string | number>(COLUMNS.length);

  /** A field as text: trimmed, empty when absent or NULL. */
  private text(fields: FocusFields, column: number): string {
    const i = this.positions[column];
    if (i < 0) return '';
    const field = fields[i];
    if (field !== undefined && field === this.lastField[column]) {
      return this.lastValue[column] as string;
    }
    const v = typeof field === 'number' ? String(field) : field;
    const text = isNull(v) ? '' : v!.trim();
    this.lastField[column] = field;
    this.lastValue[column] = text;
    return text;
  }

  /** The row as a charge, or the first problem found in it. */
  read(fields: FocusFields): FocusCharge | RowProblem {
    if (fields.length !== this.columnCount) {
      return {
        reason: `has ${fields.length} fields where the header has ${this.columnCount}`,
      };
    }
    const billingAccountId = this.text(fields, C.BillingAccountId);
    const provider = this.text(fields, C.ProviderName);
    const serviceName = this.text(fields, C.ServiceName);
    const serviceCategory = this.text(fields, C.ServiceCategory);
    if (!billingAccountId || !provider || !serviceName || !serviceCategory) {
      const column = NON_EMPTY.find(c => this.text(fields, C[c]) === '');
      return { column, reason: 'is empty; FOCUS requires a value' };
    }

    const billedCost = this.decimal(fields, C.BilledCost);
    if (typeof billedCost !== 'number') return billedCost;
    const effectiveCost = this.decimal(fields, C.EffectiveCost);
    if (typeof effectiveCost !== 'number') return effectiveCost;
    const listCost = this.decimal(fields, C.ListCost);
    if (typeof listCost !== 'number') return listCost;

    const consumedQuantity = this.decimal(fields, C.ConsumedQuantity, 0);
    if (typeof consumedQuantity !== 'number') return consumedQuantity;

    const rawCategory = this.text(fields, C.ChargeCategory);
    const chargeCategory =
      CHARGE_CATEGORY_EXACT.get(rawCategory) ??
      CHARGE_CATEGORIES.get(rawCategory.toLowerCase());
    if (!chargeCategory) {
      return {
        column: 'ChargeCategory',
        reason: `"${rawCategory}" is not one of ${FOCUS_CHARGE_CATEGORIES.join(
          ', ',
        )}`,
      };
    }

    const rawCurrency = this.text(fields, C.BillingCurrency);
    const currency = CURRENCY.test(rawCurrency)
      ? rawCurrency
      : rawCurrency.toUpperCase();
    if (!CURRENCY.test(currency)) {
      return {
        column: 'BillingCurrency',
        reason: `"${rawCurrency}" is not an ISO 4217 currency code`,
      };
    }

    const chargeStart = this.time(fields, C.ChargePeriodStart);
    if (typeof chargeStart !== 'number') return chargeStart;
    const chargeEnd = this.time(fields, C.ChargePeriodEnd);
    if (typeof chargeEnd !== 'number') return chargeEnd;
    const periodStart = this.time(fields, C.BillingPeriodStart);
    if (typeof periodStart !== 'number') return periodStart;
    const periodEnd = this.time(fields, C.BillingPeriodEnd);
    if (typeof periodEnd !== 'number') return periodEnd;
    if (chargeEnd < chargeStart) {
      return {
        column: 'ChargePeriodEnd',
        reason: 'is before ChargePeriodStart',
      };
    }
    if (periodEnd < periodStart) {
      return {
        column: 'BillingPeriodEnd',
        reason: 'is before BillingPeriodStart',
      };
    }

    const sku = this.text(fields, C.SkuId);
    const isGpu = sku ? this.gpuSku(sku, fields) : this.gpuHints(fields);
    const tags = this.raw(fields, C.Tags);
    return {
      day: utcDay(chargeStart),
      billingAccountId,
      billingPeriodStart: utcDay(periodStart),
      provider,
      serviceCategory,
      serviceName,
      region: this.text(fields, C.RegionId) || this.text(fields, C.RegionName),
      subAccountId: this.text(fields, C.SubAccountId),
      subAccountName: this.text(fields, C.SubAccountName),
      chargeCategory,
      currency,
      consumedUnit: this.text(fields, C.ConsumedUnit),
      billedCost,
      effectiveCost,
      listCost,
      consumedQuantity,
      tags: isNull(tags) ? undefined : tags,
      unusedCommitment: isUnused(this.text(fields, C.CommitmentDiscountStatus)),
      isGpu,
    };
  }
}

/** Whether the reader produced a charge rather than a problem. */
export function isCharge(
  value: FocusCharge | RowProblem,
): value is FocusCharge {
  return (value as FocusCharge).day !== undefined;
}
