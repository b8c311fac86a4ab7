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
  commitmentDiscountStatus: string;
  /** What GPU detection looks at: SKU, resource type, description and unit. */
  gpuHints: string;
};

/** Why a row was refused: the column at fault, if one, and the reason. */
export type RowProblem = { column?: string; reason: string };

/** Why a whole file was refused before any row was read. */
export class FocusFileError extends Error {
  name = 'FocusFileError';
}

const CHARGE_CATEGORIES = new Map<string, FocusChargeCategory>(
  FOCUS_CHARGE_CATEGORIES.map(c => [c.toLowerCase(), c]),
);

/**
 * Validates rows of one FOCUS export against its header: mandatory columns, types, allowed ChargeCategory
 * values. Column names match case-insensitively; unknown extra columns are ignored.
 */
export class FocusRowReader {
  readonly version: FocusVersion;
  readonly columnCount: number;
  private readonly index: Record<FocusColumn, number>;
  // Exports are sorted by time, so the same timestamps repeat row after row.
  private readonly timestampCache = new Map<string, number | undefined>();

  constructor(header: string[]) {
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
    const index = {} as Record<FocusColumn, number>;
    for (const c of [...FOCUS_REQUIRED_COLUMNS, ...FOCUS_OPTIONAL_COLUMNS]) {
      index[c] = byLowerName.get(c.toLowerCase()) ?? -1;
    }
    this.index = index;
  }

  /** The row as a charge, or the first problem found in it. */
  read(fields: string[]): FocusCharge | RowProblem {
    if (fields.length !== this.columnCount) {
      return {
        reason: `has ${fields.length} fields where the header has ${this.columnCount}`,
      };
    }
    const get = (c: FocusColumn) => {
      const i = this.index[c];
      return i < 0 ? undefined : fields[i];
    };
    const text = (c: FocusColumn): string => {
      const v = get(c);
      return isNull(v) ? '' : v!.trim();
    };

    for (const c of [
      'BillingAccountId',
      'ProviderName',
      'ServiceName',
      'ServiceCategory',
    ] as const) {
      if (text(c) === '') {
        return { column: c, reason: 'is empty; FOCUS requires a value' };
      }
    }

    const costs: number[] = [];
    for (const c of ['BilledCost', 'EffectiveCost', 'ListCost'] as const) {
      const raw = get(c);
      if (isNull(raw)) {
        return { column: c, reason: 'is empty; FOCUS requires a number' };
      }
      const n = parseDecimal(raw!);
      if (n === undefined) {
        return { column: c, reason: `"${raw}" is not a number` };
      }
      costs.push(n);
    }

    let consumedQuantity = 0;
    const rawQuantity = get('ConsumedQuantity');
    if (!isNull(rawQuantity)) {
      const n = parseDecimal(rawQuantity!);
      if (n === undefined) {
        return {
          column: 'ConsumedQuantity',
          reason: `"${rawQuantity}" is not a number`,
        };
      }
      consumedQuantity = n;
    }

    const rawCategory = text('ChargeCategory');
    const chargeCategory = CHARGE_CATEGORIES.get(rawCategory.toLowerCase());
    if (!chargeCategory) {
      return {
        column: 'ChargeCategory',
        reason: `"${rawCategory}" is not one of ${FOCUS_CHARGE_CATEGORIES.join(
          ', ',
        )}`,
      };
    }

    const currency = text('BillingCurrency').toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) {
      return {
        column: 'BillingCurrency',
        reason: `"${get('BillingCurrency')}" is not an ISO 4217 currency code`,
      };
    }

    const times: number[] = [];
    for (const c of [
      'ChargePeriodStart',
      'ChargePeriodEnd',
      'BillingPeriodStart',
      'BillingPeriodEnd',
    ] as const) {
      const raw = get(c);
      if (isNull(raw)) {
        return { column: c, reason: 'is empty; FOCUS requires a timestamp' };
      }
      const ms = this.timestamp(raw!);
      if (ms === undefined) {
        return {
          column: c,
          reason: `"${raw}" is not a timestamp like 2024-09-01T00:00:00Z or 2024-09-01 00:00:00`,
        };
      }
      times.push(ms);
    }
    const [chargeStart, chargeEnd, periodStart, periodEnd] = times;
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

    const tags = get('Tags');
    return {
      day: utcDay(chargeStart),
      billingAccountId: text('BillingAccountId'),
      billingPeriodStart: utcDay(periodStart),
      provider: text('ProviderName'),
      serviceCategory: text('ServiceCategory'),
      serviceName: text('ServiceName'),
      region: text('RegionId') || text('RegionName'),
      subAccountId: text('SubAccountId'),
      subAccountName: text('SubAccountName'),
      chargeCategory,
      currency,
      consumedUnit: text('ConsumedUnit'),
      billedCost: costs[0],
      effectiveCost: costs[1],
      listCost: costs[2],
      consumedQuantity,
      tags: isNull(tags) ? undefined : tags,
      commitmentDiscountStatus: text('CommitmentDiscountStatus'),
      gpuHints: `${text('SkuId')} ${text('ResourceType')} ${text(
        'ChargeDescription',
      )} ${text('ConsumedUnit')}`,
    };
  }

  private timestamp(raw: string): number | undefined {
    if (this.timestampCache.has(raw)) return this.timestampCache.get(raw);
    const ms = parseTimestamp(raw);
    if (this.timestampCache.size > 10_000) this.timestampCache.clear();
    this.timestampCache.set(raw, ms);
    return ms;
  }
}

/** Whether the reader produced a charge rather than a problem. */
export function isCharge(
  value: FocusCharge | RowProblem,
): value is FocusCharge {
  return (value as FocusCharge).day !== undefined;
}
