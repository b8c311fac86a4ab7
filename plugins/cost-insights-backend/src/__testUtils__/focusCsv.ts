import { stringify } from 'csv-stringify/sync';
import {
  FOCUS_COLUMN_SPECS,
  FOCUS_OPTIONAL_COLUMNS,
  FOCUS_REQUIRED_COLUMNS,
  FocusColumnSpec,
} from '@internal/plugin-cost-insights-common';

/** A FOCUS row for tests: only the columns Forge reads, as strings. */
export type TestFocusRow = Partial<Record<string, string>>;

/** The mandatory columns and the optional ones tests fill in: a FOCUS 1.0 export. */
export const TEST_FOCUS_COLUMNS: string[] = [
  ...FOCUS_REQUIRED_COLUMNS,
  ...FOCUS_OPTIONAL_COLUMNS.filter(
    c =>
      ![
        'BillingAccountName',
        'RegionName',
        'ResourceType',
        'ChargeDescription',
        'InvoiceIssuerName',
      ].includes(c) && !(FOCUS_COLUMN_SPECS[c] as FocusColumnSpec).since,
  ),
];

/** A valid usage row on `day`, overridden by `row`. */
export function focusRow(day: string, row: TestFocusRow = {}): TestFocusRow {
  return {
    BilledCost: '10',
    BillingAccountId: 'acct-1',
    BillingCurrency: 'USD',
    BillingPeriodStart: `${day.slice(0, 7)}-01T00:00:00Z`,
    BillingPeriodEnd: `${day.slice(0, 7)}-28T00:00:00Z`,
    ChargeCategory: 'Usage',
    ChargePeriodStart: `${day}T00:00:00Z`,
    ChargePeriodEnd: `${day}T23:59:59Z`,
    EffectiveCost: '9',
    ListCost: '12',
    ProviderName: 'AWS',
    ServiceCategory: 'Compute',
    ServiceName: 'Amazon EC2',
    SubAccountId: 'sub-1',
    SubAccountName: 'Sub One',
    RegionId: 'eu-west-1',
    ConsumedQuantity: '1',
    ConsumedUnit: 'Hours',
    Tags: 'NULL',
    CommitmentDiscountStatus: 'NULL',
    SkuId: 'SKU1',
    ...row,
  };
}

/** A CSV export of the given rows, header first. */
export function focusCsv(
  rows: TestFocusRow[],
  columns: string[] = TEST_FOCUS_COLUMNS,
): string {
  return stringify([
    columns,
    ...rows.map(r => columns.map(c => r[c] ?? 'NULL')),
  ]);
}
