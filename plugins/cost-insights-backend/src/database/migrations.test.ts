import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { ROLLUP_COLUMNS } from './rollupColumns';

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
  },
);
