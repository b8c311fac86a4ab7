import {
  detectFocusVersion,
  FOCUS_CHARGE_CATEGORIES,
  FOCUS_COLUMN_SPECS,
  FOCUS_CONTRACT_COMMITMENT_COLUMNS,
  FOCUS_PROVIDER_COLUMNS,
  FOCUS_REQUIRED_COLUMNS,
  FocusChargeCategory,
  FocusColumn,
  FocusColumnSpec,
  FocusVersion,
} from '@internal/plugin-cost-insights-common';
import { MAX_MAGNITUDE, OK, readDecimal, TOO_LARGE } from './focusDecimal';
import {
  billingAccountIdentity,
  billingPeriodOf,
  isNull,
  mangledAccountIdProblem,
  parseTimestamp,
  utcDay,
} from './focusValues';

/** Where each amount of a charge lies in `FocusCharge.amounts`: whole units, then the fraction in 10^-15. */
export const AMOUNT = {
  billedCost: 0,
  effectiveCost: 2,
  listCost: 4,
  consumedQuantity: 6,
} as const;
const AMOUNT_SLOTS = 8;

/** One FOCUS row, validated and reduced to what Forge keeps. */
export type FocusCharge = {
  /** UTC day of ChargePeriodStart. */
  day: string;
  /** The account as billingAccountIdentity keys it (Azure ids and GUIDs in lower case...). */
  billingAccountId: string;
  /** The billing period as the provider means it (see billingPeriodOf). */
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
  /**
   * The costs and quantity as exact decimal pairs (whole units, fraction in 10^-15; workers/focusDecimal.js), at the
   * offsets of AMOUNT. The array belongs to the reader and is rewritten by the next row.
   */
  amounts: Float64Array;
  /** The tags that attribute the row (JSON): AllocatedTags over Tags for a split cost allocation; undefined when none. */
  tags: string | undefined;
  /** The column the tags came from, for the message when they are not JSON. */
  tagsColumn: 'Tags' | 'AllocatedTags';
  /** CommitmentDiscountStatus was Unused: capacity paid for and not used. */
  unusedCommitment: boolean;
  /** The SKU, resource type, description or unit names a GPU. */
  isGpu: boolean;
};

/**
 * The fields of a row. A number stands for a decimal field the parser already read: its whole units, with its
 * fraction in 10^-15 at the same position of the row's `fractions` (readFocusRecords does so for the columns of
 * `numericColumns()`); anything unusual about a value, NULL or a typo, reaches the reader as its text.
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
const GPU_HINTS: FocusColumn[] = [
  'SkuId',
  'ResourceType',
  'ChargeDescription',
  'ConsumedUnit',
];
/** Every column Forge reads, numbered: rows are read by position, resolved once from the header. */
const COLUMNS = Object.keys(FOCUS_COLUMN_SPECS) as FocusColumn[];
const C = Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<
  FocusColumn,
  number
>;
const SPECS: FocusColumnSpec[] = COLUMNS.map(c => FOCUS_COLUMN_SPECS[c]);
const NUMERIC = COLUMNS.filter(c => SPECS[C[c]].type === 'decimal');
/** Per column, the longest value accepted. */
const MAX_LENGTH = Int32Array.from(SPECS.map(s => s.maxLength ?? 1 << 30));

const CACHE_LIMIT = 10_000;
const CURRENCY = /^[A-Z]{3}$/;
const WHOLE_NUMBER = new Intl.NumberFormat('en-US');

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

/** Merges AllocatedTags into Tags (the allocated resource's tags describe the workload the charge was split to). */
function mergeTags(tags: string, allocated: string): string {
  try {
    return JSON.stringify({ ...JSON.parse(tags), ...JSON.parse(allocated) });
  } catch {
    // One of them is not JSON: the attributor reports the allocated tags as they are.
    return allocated;
  }
}

/**
 * Validates rows of one FOCUS export against its header: mandatory columns, types, allowed ChargeCategory
 * values, field lengths. Column names match case-insensitively; unknown extra columns are ignored. Written for
 * speed (it runs once per billing line): column positions are resolved once, repeated values are memoised.
 */
export class FocusRowReader {
  readonly version: FocusVersion;
  readonly columnCount: number;
  /** Position in the row of each of COLUMNS, -1 when the export lacks it. */
  private readonly positions: Int32Array;
  /** The column that names the provider: ServiceProviderName when present, else ProviderName. */
  private readonly providerColumn: number;
  /** ProviderName, when a 1.3 export carries it beside ServiceProviderName (a row may fill only the old one). */
  private readonly fallbackProviderColumn: number;
  private readonly timestamp = memo(parseTimestamp);
  private readonly gpuHint: (value: string) => boolean;
  private readonly gpuBySku = new Map<string, boolean>();
  private readonly amounts = new Float64Array(AMOUNT_SLOTS);
  /** The column of the last field too long for it, -1 when none (see text()). */
  private tooLong = -1;
  private tooLongLength = 0;
  private lastTags: string | undefined;
  private lastAllocatedTags: string | undefined;
  private lastMergedTags: string | undefined;

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
    const has = (c: string) => byLowerName.has(c.toLowerCase());
    if (
      FOCUS_CONTRACT_COMMITMENT_COLUMNS.some(has) &&
      !has('BilledCost') &&
      !has('ChargePeriodStart')
    ) {
      throw new FocusFileError(
        'Line 1: this is a FOCUS Contract Commitment dataset; Forge ingests the Cost and Usage dataset (the export with BilledCost, EffectiveCost and ChargePeriodStart)',
      );
    }
    const missing: string[] = FOCUS_REQUIRED_COLUMNS.filter(c => !has(c));
    if (!FOCUS_PROVIDER_COLUMNS.some(has)) {
      missing.push(FOCUS_PROVIDER_COLUMNS.join(' or '));
    }
    if (missing.length > 0) {
      throw new FocusFileError(
        `Line 1: not a FOCUS 1.0-1.4 Cost and Usage export, missing column${
          missing.length > 1 ? 's' : ''
        } ${missing.join(', ')}. The header must name at least ${[
          ...FOCUS_REQUIRED_COLUMNS,
          FOCUS_PROVIDER_COLUMNS.join(' or '),
        ].join(', ')}`,
      );
    }
    this.positions = Int32Array.from(
      COLUMNS.map(c => byLowerName.get(c.toLowerCase()) ?? -1),
    );
    const [provider, fallback] = FOCUS_PROVIDER_COLUMNS.filter(has);
    this.providerColumn = C[provider];
    this.fallbackProviderColumn = fallback ? C[fallback] : -1;
    const pattern = options.gpuPattern;
    this.gpuHint = memo(value => pattern.test(value));
  }

  /** Positions in the row of the columns this reader reads; the others it never looks at. */
  columnsRead(): number[] {
    return [...this.positions].filter(i => i >= 0);
  }

  /** Positions of the decimal columns (costs and quantity), which may be handed over already read. */
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
   * Reads a decimal column into `this.amounts` at `at`, or returns the problem with it. Empty, NULL or absent is
   * zero when `optional`, a problem otherwise.
   */
  private decimal(
    fields: FocusFields,
    fractions: Float64Array | undefined,
    column: number,
    at: number,
    optional = false,
  ): RowProblem | undefined {
    const i = this.positions[column];
    const amounts = this.amounts;
    if (i >= 0 && typeof fields[i] === 'number') {
      amounts[at] = fields[i] as number;
      amounts[at + 1] = fractions ? fractions[i] : 0;
      return undefined;
    }
    const raw = this.raw(fields, column);
    if (isNull(raw)) {
      if (optional) {
        amounts[at] = 0;
        amounts[at + 1] = 0;
        return undefined;
      }
      return {
        column: COLUMNS[column],
        reason: 'is empty; FOCUS requires a number',
      };
    }
    const read = readDecimal(raw!, 0, raw!.length, amounts, at);
    if (read === OK) return undefined;
    const shown = raw!.length > 40 ? `${raw!.slice(0, 40)}...` : raw;
    return {
      column: COLUMNS[column],
      reason:
        read === TOO_LARGE
          ? `"${shown}" is too large: Forge accepts amounts and quantities below ${WHOLE_NUMBER.format(
              MAX_MAGNITUDE,
            )} in magnitude`
          : `"${shown}" is not a number as FOCUS writes them (digits with an optional minus sign and decimal point, e.g. -12.5; an exponent such as 1.5E-05 is accepted)`,
    };
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
    const ms =
      raw!.length > MAX_LENGTH[column] ? undefined : this.timestamp(raw!);
    return ms === undefined
      ? {
          column: COLUMNS[column],
          reason: `"${raw!.slice(
            0,
            40,
          )}" is not a timestamp like 2024-09-01T00:00:00Z or 2024-09-01 00:00:00`,
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

  /**
   * A field as text: trimmed, empty when absent or NULL. A value longer than its column allows is noted in
   * `tooLong` (read() refuses the row) and never cached, so every row holding it is noted.
   */
  private text(fields: FocusFields, column: number): string {
    const i = this.positions[column];
    if (i < 0) return '';
    const field = fields[i];
    if (field !== undefined && field === this.lastField[column]) {
      return this.lastValue[column] as string;
    }
    const v = typeof field === 'number' ? String(field) : field;
    const text = isNull(v) ? '' : v!.trim();
    if (text.length > MAX_LENGTH[column]) {
      this.tooLong = column;
      this.tooLongLength = text.length;
      return '';
    }
    this.lastField[column] = field;
    this.lastValue[column] = text;
    return text;
  }

  /** A JSON column (tags) as written, undefined when NULL or absent; too long a value is noted as text() does. */
  private json(fields: FocusFields, column: number): string | undefined {
    const raw = this.raw(fields, column);
    if (isNull(raw)) return undefined;
    if (raw!.length > MAX_LENGTH[column]) {
      this.tooLong = column;
      this.tooLongLength = raw!.length;
      return undefined;
    }
    return raw;
  }

  /** The tags that attribute the row: Tags, with AllocatedTags merged over them for a split cost allocation. */
  private attributionTags(fields: FocusFields): {
    tags: string | undefined;
    column: 'Tags' | 'AllocatedTags';
  } {
    const tags = this.json(fields, C.Tags);
    if (this.positions[C.AllocatedTags] < 0) return { tags, column: 'Tags' };
    const allocated = this.json(fields, C.AllocatedTags);
    if (allocated === undefined) return { tags, column: 'Tags' };
    if (tags === undefined) return { tags: allocated, column: 'AllocatedTags' };
    if (tags !== this.lastTags || allocated !== this.lastAllocatedTags) {
      this.lastTags = tags;
      this.lastAllocatedTags = allocated;
      this.lastMergedTags = mergeTags(tags, allocated);
    }
    return { tags: this.lastMergedTags, column: 'AllocatedTags' };
  }

  /** The problem of a value too long for its column, noted while reading the row. */
  private lengthProblem(): RowProblem | undefined {
    const column = this.tooLong;
    if (column < 0) return undefined;
    this.tooLong = -1;
    return {
      column: COLUMNS[column],
      reason: `is ${WHOLE_NUMBER.format(
        this.tooLongLength,
      )} characters long; Forge accepts at most ${WHOLE_NUMBER.format(
        MAX_LENGTH[column],
      )} in this column`,
    };
  }

  /** The row as a charge, or the first problem found in it. */
  read(
    fields: FocusFields,
    fractions?: Float64Array,
  ): FocusCharge | RowProblem {
    if (fields.length !== this.columnCount) {
      return {
        reason: `has ${fields.length} fields where the header has ${this.columnCount}`,
      };
    }
    this.tooLong = -1;
    const billingAccountId = this.text(fields, C.BillingAccountId);
    const provider =
      this.text(fields, this.providerColumn) ||
      (this.fallbackProviderColumn >= 0
        ? this.text(fields, this.fallbackProviderColumn)
        : '');
    const serviceName = this.text(fields, C.ServiceName);
    const serviceCategory = this.text(fields, C.ServiceCategory);
    const tooLong = this.lengthProblem();
    if (tooLong) return tooLong;
    if (!billingAccountId || !provider || !serviceName || !serviceCategory) {
      const column = [
        C.BillingAccountId,
        this.providerColumn,
        C.ServiceName,
        C.ServiceCategory,
      ].find(c => this.text(fields, c) === '');
      return {
        column: column === undefined ? undefined : COLUMNS[column],
        reason: 'is empty; FOCUS requires a value',
      };
    }

    const accountIdentity = this.accountIdentity(billingAccountId);
    if (typeof accountIdentity !== 'string') return accountIdentity;

    const problem =
      this.decimal(fields, fractions, C.BilledCost, AMOUNT.billedCost) ??
      this.decimal(fields, fractions, C.EffectiveCost, AMOUNT.effectiveCost) ??
      this.decimal(fields, fractions, C.ListCost, AMOUNT.listCost) ??
      this.decimal(
        fields,
        fractions,
        C.ConsumedQuantity,
        AMOUNT.consumedQuantity,
        true,
      );
    if (problem) return problem;

    const rawCategory = this.text(fields, C.ChargeCategory);
    const chargeCategory =
      CHARGE_CATEGORY_EXACT.get(rawCategory) ??
      CHARGE_CATEGORIES.get(rawCategory.toLowerCase());
    if (!chargeCategory) {
      return (
        this.lengthProblem() ?? {
          column: 'ChargeCategory',
          reason: `"${rawCategory}" is not one of ${FOCUS_CHARGE_CATEGORIES.join(
            ', ',
          )}`,
        }
      );
    }

    const rawCurrency = this.text(fields, C.BillingCurrency);
    const currency = CURRENCY.test(rawCurrency)
      ? rawCurrency
      : rawCurrency.toUpperCase();
    if (!CURRENCY.test(currency)) {
      return (
        this.lengthProblem() ?? {
          column: 'BillingCurrency',
          reason: `"${rawCurrency}" is not an ISO 4217 currency code`,
        }
      );
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
    const { tags, column: tagsColumn } = this.attributionTags(fields);
    const charge: FocusCharge = {
      day: utcDay(chargeStart),
      billingAccountId: accountIdentity,
      billingPeriodStart: this.billingPeriod(periodStart),
      provider,
      serviceCategory,
      serviceName,
      region: this.text(fields, C.RegionId) || this.text(fields, C.RegionName),
      subAccountId: this.text(fields, C.SubAccountId),
      subAccountName: this.text(fields, C.SubAccountName),
      chargeCategory,
      currency,
      consumedUnit: this.text(fields, C.ConsumedUnit),
      amounts: this.amounts,
      tags,
      tagsColumn,
      unusedCommitment: isUnused(this.text(fields, C.CommitmentDiscountStatus)),
      isGpu,
    };
    return this.lengthProblem() ?? charge;
  }

  private lastAccount: string | undefined;
  private lastAccountIdentity = '';
  private lastAccountProblem: string | undefined;

  /**
   * billingAccountIdentity, or why the id was mangled (mangledAccountIdProblem); remembered for the line before:
   * consecutive lines mostly share their account.
   */
  private accountIdentity(id: string): string | RowProblem {
    if (id !== this.lastAccount) {
      this.lastAccount = id;
      this.lastAccountProblem = mangledAccountIdProblem(id);
      this.lastAccountIdentity = billingAccountIdentity(id);
    }
    return this.lastAccountProblem === undefined
      ? this.lastAccountIdentity
      : { column: 'BillingAccountId', reason: this.lastAccountProblem };
  }

  private lastPeriodStartMs: number | undefined;
  private lastPeriod = '';

  /** The billing period's key (billingPeriodOf), worked out once per distinct start (rows repeat it). */
  private billingPeriod(startMs: number): string {
    if (startMs !== this.lastPeriodStartMs) {
      this.lastPeriodStartMs = startMs;
      this.lastPeriod = billingPeriodOf(startMs);
    }
    return this.lastPeriod;
  }
}

/** Whether the reader produced a charge rather than a problem. */
export function isCharge(
  value: FocusCharge | RowProblem,
): value is FocusCharge {
  return (value as FocusCharge).day !== undefined;
}
