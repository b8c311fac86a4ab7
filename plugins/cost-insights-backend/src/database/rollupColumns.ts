import type { FocusCharge } from '../ingestion/FocusRowReader';

/**
 * The columns of a daily cost rollup, declared once. Everything else follows from this list: the DailyCostRollup
 * type, the accumulator's positional key and sums (RollupAccumulator), the store's insert columns and SQL types
 * (DatabaseCostStore), and the column list the migrations are checked against (migrations.test.ts). Adding a
 * column means a line here, the FocusCharge property it reads, and a migration.
 *
 * - `key`: a dimension rollups are keyed by, read from the charge's property `from` (or the attributed entity).
 * - `label`: a text kept with the rollup but not part of its key: the first value seen wins.
 * - `sum`: an exact sum of the charge's amount `of` (FocusCharge.amounts), over the lines passing `when`.
 * - `count`: the billing lines the rollup stands for.
 */
export const ROLLUP_COLUMN_DECLARATION = [
  { field: 'day', column: 'day', kind: 'key', from: 'day' },
  {
    field: 'billingAccountId',
    column: 'billing_account_id',
    kind: 'key',
    from: 'billingAccountId',
  },
  {
    field: 'billingPeriodStart',
    column: 'billing_period_start',
    kind: 'key',
    from: 'billingPeriodStart',
  },
  { field: 'entityRef', column: 'entity_ref', kind: 'key', from: 'entityRef' },
  { field: 'provider', column: 'provider', kind: 'key', from: 'provider' },
  {
    field: 'serviceCategory',
    column: 'service_category',
    kind: 'key',
    from: 'serviceCategory',
  },
  {
    field: 'serviceName',
    column: 'service_name',
    kind: 'key',
    from: 'serviceName',
  },
  { field: 'region', column: 'region', kind: 'key', from: 'region' },
  {
    field: 'subAccountId',
    column: 'sub_account_id',
    kind: 'key',
    from: 'subAccountId',
  },
  {
    field: 'subAccountName',
    column: 'sub_account_name',
    kind: 'label',
    from: 'subAccountName',
  },
  {
    field: 'chargeCategory',
    column: 'charge_category',
    kind: 'key',
    from: 'chargeCategory',
  },
  { field: 'currency', column: 'currency', kind: 'key', from: 'currency' },
  {
    field: 'consumedUnit',
    column: 'consumed_unit',
    kind: 'key',
    from: 'consumedUnit',
  },
  { field: 'billedCost', column: 'billed_cost', kind: 'sum', of: 'billedCost' },
  {
    field: 'effectiveCost',
    column: 'effective_cost',
    kind: 'sum',
    of: 'effectiveCost',
  },
  { field: 'listCost', column: 'list_cost', kind: 'sum', of: 'listCost' },
  {
    field: 'consumedQuantity',
    column: 'consumed_quantity',
    kind: 'sum',
    of: 'consumedQuantity',
  },
  {
    field: 'gpuCost',
    column: 'gpu_cost',
    kind: 'sum',
    of: 'effectiveCost',
    when: 'gpu',
  },
  {
    field: 'gpuHours',
    column: 'gpu_hours',
    kind: 'sum',
    of: 'consumedQuantity',
    when: 'gpuHours',
  },
  {
    field: 'gpuIdleCost',
    column: 'gpu_idle_cost',
    kind: 'sum',
    of: 'effectiveCost',
    when: 'gpuIdle',
  },
  { field: 'rowCount', column: 'row_count', kind: 'count' },
] as const satisfies readonly RollupColumnSpec[];

/** Which lines a sum takes: all, GPU lines, GPU lines in hours, GPU lines of unused commitments. */
export type RollupSumCondition = 'gpu' | 'gpuHours' | 'gpuIdle';

/** The amounts a charge carries (FocusCharge.amounts, at AMOUNT's offsets). */
export type ChargeAmount =
  | 'billedCost'
  | 'effectiveCost'
  | 'listCost'
  | 'consumedQuantity';

/** One column of the declaration. */
export type RollupColumnSpec =
  | {
      field: string;
      column: string;
      kind: 'key' | 'label';
      /** The charge's property, or the entity the line is attributed to. */
      from: keyof FocusCharge | 'entityRef';
    }
  | {
      field: string;
      column: string;
      kind: 'sum';
      of: ChargeAmount;
      when?: RollupSumCondition;
    }
  | { field: string; column: string; kind: 'count' };

type Declared = (typeof ROLLUP_COLUMN_DECLARATION)[number];

/** The texts of a rollup: its key dimensions and labels. */
export type RollupDimensions = {
  [C in Declared as C['kind'] extends 'key' | 'label'
    ? C['field']
    : never]: string;
};

/** The sums and count of a rollup. */
export type RollupMeasures = {
  [C in Declared as C['kind'] extends 'sum' | 'count'
    ? C['field']
    : never]: number;
};

/** The SQL type each kind of column is stored as. */
const SQL_TYPES = {
  key: 'varchar',
  label: 'varchar',
  sum: 'double precision',
  count: 'integer',
} as const;

/**
 * What the accumulator and the store use, derived from a declaration: a function rather than constants so a test
 * can show that a column added to the declaration is what they follow (rollupColumns.test.ts).
 */
export function deriveRollupColumns<D extends readonly RollupColumnSpec[]>(
  declaration: D,
) {
  type Column = D[number];
  return {
    declaration,
    /** The key dimensions, in key order. */
    keys: declaration.filter(
      (c): c is Extract<Column, { kind: 'key' }> => c.kind === 'key',
    ),
    /** Texts kept with a rollup, not part of its key. */
    labels: declaration.filter(
      (c): c is Extract<Column, { kind: 'label' }> => c.kind === 'label',
    ),
    /** The sums, in sums order. */
    sums: declaration.filter(
      (c): c is Extract<Column, { kind: 'sum' }> => c.kind === 'sum',
    ),
    /** The field of the line count. */
    countField: declaration.find(c => c.kind === 'count')!.field,
    /** The rollup table's columns and their SQL types, in the declaration's order, then the ingestion that wrote it. */
    columnTypes: {
      ...Object.fromEntries(
        declaration.map(c => [c.column, SQL_TYPES[c.kind]]),
      ),
      ingestion_id: 'varchar',
    } as Record<string, string>,
  };
}

/** The daily rollup's columns, as the accumulator and the store use them. */
export const ROLLUP_COLUMNS = deriveRollupColumns(ROLLUP_COLUMN_DECLARATION);

/** The table column of a declared field. */
export function rollupColumnOf(field: Declared['field']): string {
  return ROLLUP_COLUMN_DECLARATION.find(c => c.field === field)!.column;
}
