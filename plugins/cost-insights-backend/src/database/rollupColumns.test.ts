import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import type { FocusCharge } from '../ingestion/FocusRowReader';
import type * as RollupColumnsModule from './rollupColumns';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** A column a future FOCUS need might add: the list cost of GPU lines. */
const ADDED = {
  field: 'gpuListCost',
  column: 'gpu_list_cost',
  kind: 'sum',
  of: 'listCost',
  when: 'gpu',
} as const;

/** A charge of `list` whole units of list cost (1 of each other amount). */
function charge(
  serviceName: string,
  list: number,
  isGpu: boolean,
): FocusCharge {
  return {
    day: '2026-09-03',
    billingAccountId: 'acct-1',
    billingPeriodStart: '2026-09-01',
    provider: 'AWS',
    serviceCategory: 'Compute',
    serviceName,
    region: 'eu-west-1',
    subAccountId: 'sub-1',
    subAccountName: 'Sub one',
    chargeCategory: 'Usage',
    currency: 'USD',
    consumedUnit: 'Hours',
    amounts: Float64Array.of(1, 0, 1, 0, list, 0, 1, 0),
    tags: undefined,
    tagsColumn: 'Tags',
    unusedCommitment: false,
    isGpu,
  };
}

/** The accumulator and the store, loaded with the declaration plus ADDED. */
function withAddedColumn() {
  let loaded:
    | {
        columns: typeof RollupColumnsModule.ROLLUP_COLUMNS;
        RollupAccumulator: typeof import('../ingestion/RollupAccumulator').RollupAccumulator;
        DatabaseCostStore: typeof import('./DatabaseCostStore').DatabaseCostStore;
      }
    | undefined;
  jest.isolateModules(() => {
    jest.doMock('./rollupColumns', () => {
      const actual: typeof RollupColumnsModule =
        jest.requireActual('./rollupColumns');
      return {
        ...actual,
        ROLLUP_COLUMNS: actual.deriveRollupColumns([
          ...actual.ROLLUP_COLUMN_DECLARATION,
          ADDED,
        ]),
      };
    });
    // Loaded with require, inside this registry: jest runs without ES modules, so import() is not available.
    /* eslint-disable @typescript-eslint/no-require-imports */
    loaded = {
      columns: require('./rollupColumns').ROLLUP_COLUMNS,
      RollupAccumulator: require('../ingestion/RollupAccumulator')
        .RollupAccumulator,
      DatabaseCostStore: require('./DatabaseCostStore').DatabaseCostStore,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  return loaded!;
}

async function tableColumns(knex: Knex): Promise<string[]> {
  return Object.keys(await knex('cost_daily_rollups').columnInfo()).sort();
}

describe.each(databases.eachSupportedId())(
  'The rollup column declaration (%s)',
  databaseId => {
    it('is what the accumulator, the store and the migrations check follow when a column is added', async () => {
      const knex = await databases.init(databaseId);
      const { columns, RollupAccumulator, DatabaseCostStore } =
        withAddedColumn();
      const store = await DatabaseCostStore.create({
        database: { getClient: async () => knex },
      });

      // Declared but not migrated: the migrations check (migrations.test.ts) tells them apart.
      expect(await tableColumns(knex)).not.toEqual(
        Object.keys(columns.columnTypes).sort(),
      );
      // The migration the new column needs.
      await knex.schema.alterTable('cost_daily_rollups', table => {
        table.double(ADDED.column).notNullable().defaultTo(0);
      });
      expect(await tableColumns(knex)).toEqual(
        Object.keys(columns.columnTypes).sort(),
      );

      // The accumulator sums it under its condition, with nothing else changed.
      const accumulator = new RollupAccumulator();
      accumulator.add(charge('GPU box', 7, true), 'component:default/a');
      accumulator.add(charge('GPU box', 5, true), 'component:default/a');
      accumulator.add(charge('Plain box', 11, false), 'component:default/a');
      const { rollups, periods } = accumulator.result();
      const byService = Object.fromEntries(
        rollups.map(r => [r.serviceName, r as Record<string, unknown>]),
      );
      expect(byService['GPU box']).toMatchObject({
        listCost: 12,
        gpuListCost: 12,
        rowCount: 2,
      });
      expect(byService['Plain box']).toMatchObject({
        listCost: 11,
        gpuListCost: 0,
      });

      // The store writes it.
      await store.replaceBillingPeriods('i-1', periods, rollups);
      const stored = await knex('cost_daily_rollups')
        .select('service_name', ADDED.column)
        .orderBy('service_name');
      expect(
        stored.map(r => [r.service_name, Number(r[ADDED.column])]),
      ).toEqual([
        ['GPU box', 12],
        ['Plain box', 0],
      ]);
      await knex.destroy();
    });
  },
);
