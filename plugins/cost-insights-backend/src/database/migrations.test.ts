import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { focusCsv, focusRow } from '../__testUtils__/focusCsv';
import { createTestServices } from '../__testUtils__/testServices';
import { ROLLUP_COLUMNS } from './rollupColumns';
import { Readable } from 'node:stream';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-cost-insights-backend',
  'migrations',
);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

function rollup(entityRef: string, day: string, service: string, cost: number) {
  return {
    day,
    billing_account_id: 'acct-1',
    billing_period_start: `${day.slice(0, 7)}-01`,
    entity_ref: entityRef,
    provider: 'AWS',
    service_category: 'Compute',
    service_name: service,
    region: 'eu-west-1',
    sub_account_id: 'sub-1',
    sub_account_name: 'Sub 1',
    charge_category: 'Usage',
    currency: 'USD',
    consumed_unit: 'Hours',
    billed_cost: cost,
    effective_cost: cost,
    list_cost: cost,
    consumed_quantity: 1,
    gpu_cost: 0,
    gpu_hours: 0,
    gpu_idle_cost: 0,
    row_count: 1,
    ingestion_id: 'i-1',
  };
}

describe.each(databases.eachSupportedId())(
  'cost migrations (%s)',
  databaseId => {
    it('creates the rollup table with exactly the columns rollupColumns.ts declares', async () => {
      // The declaration drives the accumulator, the rollup type and the store's inserts: a column declared
      // without its migration (or migrated without its declaration) fails here.
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory: migrationsDir });
      const columns = Object.keys(
        await knex('cost_daily_rollups').columnInfo(),
      );
      expect(columns.sort()).toEqual(
        Object.keys(ROLLUP_COLUMNS.columnTypes).sort(),
      );
    });

    it('backfills the per-entity daily table from rollups stored before it existed, and removes it going down', async () => {
      const knex = await databases.init(databaseId);
      await knex.migrate.up({ directory: migrationsDir }); // the cost tables
      await knex('cost_daily_rollups').insert([
        rollup('component:default/a', '2026-10-01', 'EC2', 10),
        rollup('component:default/a', '2026-10-01', 'S3', 2.5),
        rollup('component:default/a', '2026-10-02', 'EC2', 7),
        rollup('', '2026-10-01', 'EC2', 1),
      ]);

      await knex.migrate.up({ directory: migrationsDir }); // the per-entity daily table
      const rows = await knex('cost_entity_daily')
        .select('entity_ref', 'day', 'effective_cost')
        .orderBy(['entity_ref', 'day']);
      expect(
        rows.map(r => [r.entity_ref, r.day, Number(r.effective_cost)]),
      ).toEqual([
        ['', '2026-10-01', 1],
        ['component:default/a', '2026-10-01', 12.5],
        ['component:default/a', '2026-10-02', 7],
      ]);

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('cost_entity_daily')).toBe(false);
      expect(await knex.schema.hasTable('cost_daily_rollups')).toBe(true);
    });

    it('backfills the day totals and the known entity refs from the per-entity daily table', async () => {
      const knex = await databases.init(databaseId);
      await knex.migrate.up({ directory: migrationsDir }); // the cost tables
      await knex('cost_daily_rollups').insert([
        rollup('component:default/a', '2026-10-01', 'EC2', 10),
        rollup('component:default/a', '2026-10-01', 'S3', 2.5),
        rollup('component:default/b', '2026-10-01', 'EC2', 4),
        rollup('component:default/a', '2026-10-02', 'EC2', 7),
        rollup('', '2026-10-01', 'EC2', 1),
      ]);
      await knex.migrate.up({ directory: migrationsDir }); // the per-entity daily table
      await knex.migrate.up({ directory: migrationsDir }); // day totals and known refs

      const totals = await knex('cost_day_totals')
        .select('day', 'effective_cost')
        .orderBy('day');
      expect(totals.map(r => [r.day, Number(r.effective_cost)])).toEqual([
        ['2026-10-01', 17.5],
        ['2026-10-02', 7],
      ]);
      const refs = await knex('cost_known_refs')
        .orderBy('entity_ref')
        .pluck('entity_ref');
      expect(refs).toEqual(['', 'component:default/a', 'component:default/b']);

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('cost_day_totals')).toBe(false);
      expect(await knex.schema.hasTable('cost_known_refs')).toBe(false);
      expect(await knex.schema.hasTable('cost_entity_daily')).toBe(true);
    });

    it('rewrites accounts stored before the identity rule to their identity, keeping the later of two deliveries of a period, so a re-delivered month replaces it', async () => {
      const knex = await databases.init(databaseId);
      // Rows as stored before the rule (and the later rule by shape, 20261206020000).
      await migrateTo(knex, '20261205100000');
      const upper = 'ABCDEF01-2345-6789-ABCD-EF0123456789';
      const lower = upper.toLowerCase();
      await deliver(knex, 'i-aug', upper, 'Microsoft', '2026-08-05', 5, 1);
      await deliver(knex, 'i-sep-old', upper, 'Microsoft', '2026-09-05', 10, 1);
      await deliver(knex, 'i-sep-new', lower, 'Microsoft', '2026-09-06', 7, 2);
      await deliver(knex, 'i-oct-old', lower, 'Microsoft', '2026-10-05', 3, 1);
      await deliver(knex, 'i-oct-new', upper, 'Microsoft', '2026-10-06', 4, 2);
      await deliver(
        knex,
        'i-gcp',
        'ab12cd-ef34ab-56cd78',
        'Google Cloud',
        '2026-09-05',
        6,
        1,
      );
      await deliver(knex, 'i-aws', '123456789012', 'AWS', '2026-09-05', 8, 1);
      await deliver(knex, 'i-acme', 'AbC', 'Acme', '2026-09-05', 9, 1);
      const before = await storedKeys(knex);

      await knex.migrate.up({ directory: migrationsDir });
      const expected = {
        [`${lower} 2026-08-01`]: { cost: 5, ingestion: 'i-aug' },
        [`${lower} 2026-09-01`]: { cost: 7, ingestion: 'i-sep-new' },
        [`${lower} 2026-10-01`]: { cost: 4, ingestion: 'i-oct-new' },
        'AB12CD-EF34AB-56CD78 2026-09-01': { cost: 6, ingestion: 'i-gcp' },
        '123456789012 2026-09-01': { cost: 8, ingestion: 'i-aws' },
        'AbC 2026-09-01': { cost: 9, ingestion: 'i-acme' },
      };
      expect(await storedKeys(knex)).toEqual(expected);

      // Going down leaves the rewritten keys (the earlier spellings are gone); going up again changes nothing.
      await knex.migrate.down({ directory: migrationsDir });
      expect(await storedKeys(knex)).toEqual(expected);
      await knex.migrate.up({ directory: migrationsDir });
      expect(await storedKeys(knex)).toEqual(expected);
      expect(Object.keys(before)).toHaveLength(8);

      // September delivered again, in the old spelling: it replaces what is stored instead of adding to it.
      const services = await createTestServices(knex, { today: '2026-11-20' });
      const record = await services.ingester.ingest({
        source: 'upload',
        location: 'upload:september.csv',
        content: Readable.from([
          focusCsv([
            focusRow('2026-09-07', {
              BillingAccountId: upper,
              ProviderName: 'Microsoft',
              BilledCost: '11',
              EffectiveCost: '11',
            }),
          ]),
        ]),
      });
      expect(record.status).toBe('succeeded');
      expect((await storedKeys(knex))[`${lower} 2026-09-01`]).toEqual({
        cost: 11,
        ingestion: record.id,
      });
    });
  },
);

/** Migrated up to the migration of `version` (its timestamp), every later one undone, whatever lands after it. */
async function migrateTo(knex: Knex, version: string): Promise<void> {
  await knex.migrate.latest({ directory: migrationsDir });
  while (
    (await knex.migrate.currentVersion({ directory: migrationsDir })) > version
  ) {
    await knex.migrate.down({ directory: migrationsDir });
  }
}

describe.each(databases.eachSupportedId())(
  'cost migrations, accounts by the shape of their id (%s)',
  databaseId => {
    it('rewrites an Azure account stored in the case of a Marketplace row, merging one delivery and dropping an earlier one', async () => {
      const knex = await databases.init(databaseId);
      await migrateTo(knex, '20261205190000'); // rows as stored before the rule by shape
      const mixed = '/providers/Microsoft.Billing/billingAccounts/12345678';
      const lower = mixed.toLowerCase();
      // September: a FOCUS 1.3 delivery stored both spellings (Microsoft and Datadog rows), then a 1.2 restatement
      // (every row Microsoft) replaced the lower-case one only: the Datadog rows counted twice.
      await deliver(knex, 'i-13', mixed, 'Datadog', '2026-09-05', 2, 1);
      await deliver(knex, 'i-12', lower, 'Microsoft', '2026-09-05', 7, 2);
      // October: one 1.3 delivery, both spellings on the same day: one period.
      await deliver(knex, 'i-oct', lower, 'Microsoft', '2026-10-05', 5, 1);
      await deliver(knex, 'i-oct', mixed, 'Datadog', '2026-10-05', 2, 1);
      await deliver(knex, 'i-aws', '123456789012', 'AWS', '2026-09-05', 8, 1);

      await knex.migrate.up({ directory: migrationsDir });
      expect(await storedKeys(knex)).toEqual({
        [`${lower} 2026-09-01`]: { cost: 7, ingestion: 'i-12' },
        [`${lower} 2026-10-01`]: { cost: 7, ingestion: 'i-oct' },
        '123456789012 2026-09-01': { cost: 8, ingestion: 'i-aws' },
      });
      const [october] = await knex('cost_entity_daily').where({
        billing_account_id: lower,
        billing_period_start: '2026-10-01',
      });
      expect(october.effective_cost).toBe(7);
    });
  },
);

/**
 * One delivery of an account's period as the store wrote it before the identity rule: a rollup, its per-entity
 * daily and day total rows, and the period's row, delivered `order` hours into the day.
 */
async function deliver(
  knex: Knex,
  ingestionId: string,
  account: string,
  provider: string,
  day: string,
  cost: number,
  order: number,
) {
  const period = `${day.slice(0, 7)}-01`;
  const keys = { billing_account_id: account, billing_period_start: period };
  const measures = {
    billed_cost: cost,
    effective_cost: cost,
    list_cost: cost,
    gpu_cost: 0,
    gpu_hours: 0,
    gpu_idle_cost: 0,
  };
  await knex('cost_daily_rollups').insert({
    ...rollup('component:default/a', day, 'VMs', cost),
    ...keys,
    provider,
    ingestion_id: ingestionId,
  });
  await knex('cost_entity_daily').insert({
    entity_ref: 'component:default/a',
    day,
    currency: 'USD',
    ...keys,
    ...measures,
  });
  await knex('cost_day_totals').insert({
    day,
    currency: 'USD',
    ...keys,
    ...measures,
  });
  await knex('cost_billing_periods').insert({
    ...keys,
    ingestion_id: ingestionId,
    updated_at: new Date(Date.UTC(2026, 10, 1, order)),
  });
}

/**
 * Each stored account and period: its cost, the same in the rollups, the per-entity daily and the day totals
 * tables (or the test fails), and the ingestion its period row names.
 */
async function storedKeys(
  knex: Knex,
): Promise<Record<string, { cost: number; ingestion: string }>> {
  const sums = async (table: string) =>
    Object.fromEntries(
      (
        await knex(table)
          .select('billing_account_id', 'billing_period_start')
          .sum({ cost: 'effective_cost' })
          .groupBy('billing_account_id', 'billing_period_start')
      ).map((r: Record<string, unknown>) => [
        `${r.billing_account_id} ${r.billing_period_start}`,
        Number(r.cost),
      ]),
    );
  const rollups = await sums('cost_daily_rollups');
  expect(await sums('cost_entity_daily')).toEqual(rollups);
  expect(await sums('cost_day_totals')).toEqual(rollups);
  const periods = await knex('cost_billing_periods').select();
  expect(periods).toHaveLength(Object.keys(rollups).length);
  return Object.fromEntries(
    periods.map(p => {
      const key = `${p.billing_account_id} ${p.billing_period_start}`;
      return [key, { cost: rollups[key], ingestion: p.ingestion_id }];
    }),
  );
}
