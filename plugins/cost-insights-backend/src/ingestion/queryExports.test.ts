import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  independentDailyTotals,
  writeExportFile,
} from '../__testUtils__/exportFolders';
import { focusRow, TestFocusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostSourceScanner } from './CostSourceScanner';
import { CostQuery } from './sources/duckdbQuerySource';

jest.setTimeout(60_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

/** The daily FOCUS aggregate query of docs/cost.md, over the Parquet files of a folder. */
const dailyAggregates = (folder: string) => `
  SELECT
    date_trunc('day', ChargePeriodStart) AS ChargePeriodStart,
    date_trunc('day', ChargePeriodStart) + INTERVAL 1 DAY AS ChargePeriodEnd,
    BillingAccountId, BillingPeriodStart, BillingPeriodEnd, BillingCurrency,
    ProviderName, ServiceCategory, ServiceName, RegionId, SubAccountId, SubAccountName,
    ChargeCategory, ConsumedUnit, Tags, SkuId, CommitmentDiscountStatus,
    sum(BilledCost) AS BilledCost,
    sum(EffectiveCost) AS EffectiveCost,
    sum(ListCost) AS ListCost,
    sum(ConsumedQuantity) AS ConsumedQuantity,
    count(*) AS x_RowCount
  FROM read_parquet('${folder}/**/*.parquet')
  GROUP BY ALL
`;

/** Hourly billing lines of September: 24 per day, service and tag. */
function hourlyLines(days: number): TestFocusRow[] {
  const rows: TestFocusRow[] = [];
  for (let d = 1; d <= days; d++) {
    const day = `2026-09-${String(d).padStart(2, '0')}`;
    for (let h = 0; h < 24; h++) {
      for (const [service, tags] of [
        ['Amazon EC2', '{"forge-project": "churn-model"}'],
        ['Amazon S3', 'NULL'],
      ]) {
        const cost = ((d * 31 + h * 7) % 97) / 13;
        rows.push(
          focusRow(day, {
            ChargePeriodStart: `${day}T${String(h).padStart(2, '0')}:00:00Z`,
            ChargePeriodEnd: `${day}T${String(h).padStart(2, '0')}:59:59Z`,
            BillingPeriodStart: '2026-09-01T00:00:00Z',
            BillingPeriodEnd: '2026-10-01T00:00:00Z',
            ServiceName: service,
            Tags: tags,
            BilledCost: cost.toFixed(9),
            EffectiveCost: (cost * 0.8).toFixed(9),
            ListCost: (cost * 1.2).toFixed(9),
          }),
        );
      }
    }
  }
  return rows;
}

describe.each(databases.eachSupportedId())(
  'Query sources on DuckDB (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let data: string;
    let files: string[];

    beforeAll(async () => {
      data = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-duckdb-'));
      const lines = hourlyLines(10);
      files = [
        path.join(data, 'focus', 'part-1.parquet'),
        path.join(data, 'focus', 'part-2.parquet'),
      ];
      await writeExportFile(files[0], lines.slice(0, 250), 'parquet');
      await writeExportFile(files[1], lines.slice(250), 'parquet');
    });
    afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

    beforeEach(async () => {
      store = await createTestStore(await databases.init(databaseId));
    });

    const query = (overrides: Partial<CostQuery> = {}): CostQuery => ({
      name: 'focus-parquet',
      engine: 'duckdb',
      sql: dailyAggregates(path.join(data, 'focus')),
      paths: [path.join(data, 'focus')],
      extensions: [],
      memoryLimit: '256MB',
      threads: 1,
      timeoutSeconds: 60,
      refreshMinutes: 60,
      ...overrides,
    });
    const scanner = (queries: CostQuery[]) =>
      new CostSourceScanner({
        store,
        ingester: createTestIngester(store, createTestCatalog()),
        urlReader: mockServices.urlReader.mock(),
        logger: mockServices.logger.mock(),
        settings: {
          folder: path.join(data, 'no-inbox'),
          locations: [],
          queries,
          demoData: { enabled: false, days: 90, seed: 1 },
        },
      });

    it('ingests the daily aggregates a query returns as the billing lines they sum', async () => {
      const [record] = await scanner([query()]).scan();
      expect([
        record.source,
        record.location,
        record.status,
        record.error,
      ]).toEqual(['query', 'query:focus-parquet', 'succeeded', undefined]);
      // The aggregates stand for every hourly line: 10 days x 24 hours x 2 services.
      expect(record.rowCount).toBe(480);
      expect(record.rollupCount).toBe(20);

      const expected = await independentDailyTotals(files, 'parquet');
      const rows = await store.aggregate(
        { start: '2026-09-01', endExclusive: '2026-10-01', currency: 'USD' },
        ['day'],
        ['billedCost', 'effectiveCost', 'listCost'],
      );
      expect(rows.map(r => r.day).sort()).toEqual(Object.keys(expected).sort());
      for (const r of rows) {
        expect(r.billedCost).toBeCloseTo(expected[r.day!].billed, 9);
        expect(r.effectiveCost).toBeCloseTo(expected[r.day!].effective, 9);
        expect(r.listCost).toBeCloseTo(expected[r.day!].list, 9);
      }
      // Tags still attribute: the tagged service is the churn model's.
      const [churn] = await store.aggregate(
        {
          start: '2026-09-01',
          endExclusive: '2026-10-01',
          currency: 'USD',
          entityRefs: ['component:default/churn-model'],
        },
        ['serviceName'],
        ['billedCost'],
      );
      expect(churn.serviceName).toBe('Amazon EC2');

      // Nothing changed: the query is not run again before refreshMinutes.
      expect(await scanner([query()]).scan()).toEqual([]);
      // A file under its paths changed: it runs again.
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(files[1], later, later);
      expect((await scanner([query()]).scan()).map(r => r.status)).toEqual([
        'succeeded',
      ]);
    });

    it.each([
      ['two statements', 'SELECT 1; SELECT 2', 'holds 2 statements'],
      [
        'a write',
        `COPY (SELECT 1) TO '${os.tmpdir()}/forge-query-out.csv'`,
        'cannot run',
      ],
      ['a setting', 'SET enable_external_access = true', 'not a SELECT'],
      [
        'a file outside its paths',
        "SELECT * FROM read_csv('/etc/passwd')",
        'Permission Error',
      ],
      [
        'an attached database',
        `ATTACH '${os.tmpdir()}/forge-query.duckdb'`,
        'not a SELECT',
      ],
    ])('refuses %s and says why', async (_what, sql, message) => {
      const [record] = await scanner([query({ sql })]).scan();
      expect(record.status).toBe('rejected');
      expect(record.error).toContain(message);
      expect(fs.existsSync(`${os.tmpdir()}/forge-query-out.csv`)).toBe(false);
      expect(fs.existsSync(`${os.tmpdir()}/forge-query.duckdb`)).toBe(false);
    });

    it('refuses a write even where the query may read', async () => {
      // DuckDB's allowed_directories let a COPY write inside them: the SELECT-only check is what stops it.
      const out = path.join(data, 'focus', 'written.csv');
      const [record] = await scanner([
        query({ sql: `COPY (SELECT 1) TO '${out}'` }),
      ]).scan();
      expect(record.error).toContain('not a SELECT');
      expect(fs.existsSync(out)).toBe(false);
    });

    it('stops a query that runs longer than its timeout', async () => {
      const slow = query({
        sql: 'SELECT count(*) AS n FROM range(100000000000) a',
        timeoutSeconds: 1,
      });
      const [record] = await scanner([slow]).scan();
      expect(record.status).toBe('rejected');
      expect(record.error).toContain('ran longer than 1 s');
    });

    it('skips engines it does not run', async () => {
      expect(await scanner([query({ engine: 'bigquery' })]).scan()).toEqual([]);
    });
  },
);
