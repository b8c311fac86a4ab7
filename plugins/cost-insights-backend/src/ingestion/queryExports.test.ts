import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeExportFile } from '../__testUtils__/exportFolders';
import { focusRow, TestFocusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { readCostConfig } from '../config';
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
    sum(CAST(BilledCost AS DECIMAL(38, 15))) AS BilledCost,
    sum(CAST(EffectiveCost AS DECIMAL(38, 15))) AS EffectiveCost,
    sum(CAST(ListCost AS DECIMAL(38, 15))) AS ListCost,
    sum(CAST(ConsumedQuantity AS DECIMAL(38, 15))) AS ConsumedQuantity,
    count(*) AS x_RowCount
  FROM read_parquet('${folder}/**/*.parquet')
  GROUP BY ALL
`;

/** Rows of a query DuckDB runs on its own (no sandbox, none of Forge's code), as text. */
async function duckdbRows(sql: string): Promise<string[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRows().map(row => row.map(String));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Sums of the billing lines in the files (not of the query under test), as DECIMAL, per `key` (a SQL expression),
 * each as numbers: billed, effective, list.
 */
async function independentTotals(
  files: string[],
  key: string,
): Promise<Record<string, number[]>> {
  const rows = await duckdbRows(`
    SELECT ${key},
      sum(CAST(BilledCost AS DECIMAL(38, 15)))::VARCHAR,
      sum(CAST(EffectiveCost AS DECIMAL(38, 15)))::VARCHAR,
      sum(CAST(ListCost AS DECIMAL(38, 15)))::VARCHAR
    FROM read_parquet([${files.map(f => `'${f}'`).join(', ')}])
    GROUP BY ALL`);
  return Object.fromEntries(rows.map(([k, ...sums]) => [k, sums.map(Number)]));
}

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

      // Exactly the sums of the lines, per day and service (each one rollup, stored as the nearest double of its
      // exact sum), and over the whole month.
      const exact = await independentTotals(
        files,
        `strftime(ChargePeriodStart, '%Y-%m-%d') || ' ' || ServiceName`,
      );
      const stored = async () =>
        Object.fromEntries(
          (
            await store.aggregate(
              {
                start: '2026-09-01',
                endExclusive: '2026-10-01',
                currency: 'USD',
              },
              ['day', 'serviceName'],
              ['billedCost', 'effectiveCost', 'listCost'],
            )
          ).map(r => [
            `${r.day} ${r.serviceName}`,
            [r.billedCost, r.effectiveCost, r.listCost],
          ]),
        );
      expect(await stored()).toEqual(exact);
      const { month } = await independentTotals(files, `'month'`);
      expect(record.totals.USD).toEqual({
        billed: month[0],
        effective: month[1],
        list: month[2],
      });

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
      // ... and replaces the month: nothing is counted twice.
      expect(await stored()).toEqual(exact);
      expect(
        (await store.listIngestions({ limit: 10, source: 'query' })).map(
          r => r.status,
        ),
      ).toEqual(['succeeded', 'succeeded']);
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

    it('never shows the folders a query reads in its record', async () => {
      const folder = path.join(data, 'focus');
      const [record] = await scanner([
        query({
          sql: `SELECT * FROM read_parquet('${folder}/no-such-*.parquet')`,
        }),
      ]).scan();
      expect(record.status).toBe('rejected');
      expect(record.error).toContain(
        'query:focus-parquet paths[0]/no-such-*.parquet',
      );
      expect(JSON.stringify(record)).not.toContain(data);
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

    it('refuses a query whose SQL or result is not what Forge reads, and says why, storing nothing', async () => {
      const folder = path.join(data, 'focus');
      const cases: Array<[string, string]> = [
        [
          'SELEC * FROM nothing',
          'Parser Error: syntax error at or near "SELEC"',
        ],
        [
          `SELECT * FROM read_parquet('${folder}/no-such-*.parquet')`,
          'cannot run',
        ],
        [
          `SELECT BilledCost FROM read_parquet('${folder}/**/*.parquet')`,
          'missing columns',
        ],
        [
          dailyAggregates(folder).replace(
            'count(*) AS x_RowCount',
            "'many' AS x_RowCount",
          ),
          'x_RowCount "many" is not a count of billing lines',
        ],
        [
          dailyAggregates(folder).replace(
            'sum(CAST(ListCost AS DECIMAL(38, 15))) AS ListCost',
            "'12 USD' AS ListCost",
          ),
          '"12 USD" is not a number',
        ],
      ];
      for (const [sql, message] of cases) {
        const [record] = await scanner([query({ sql })]).scan();
        expect([record.status, record.error]).toEqual([
          'rejected',
          expect.stringContaining(message),
        ]);
      }
      expect(await store.hasRollups()).toBe(false);
    });

    it('reads nothing outside its paths, through a symbolic link or ..', async () => {
      const secret = path.join(data, 'secret.csv');
      fs.writeFileSync(secret, 'BilledCost\n1\n');
      const allowed = path.join(data, 'allowed');
      fs.mkdirSync(allowed, { recursive: true });
      fs.symlinkSync(secret, path.join(allowed, 'link.csv'));
      for (const sql of [
        `SELECT * FROM read_csv('${allowed}/link.csv')`,
        `SELECT * FROM read_csv('${allowed}/../secret.csv')`,
      ]) {
        const [record] = await scanner([
          query({ name: 'escape', sql, paths: [allowed] }),
        ]).scan();
        expect([record.status, record.error]).toEqual([
          'rejected',
          expect.stringContaining('Permission Error'),
        ]);
      }
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

    it('dates charges on their UTC day whatever the server time zone', async () => {
      // A server whose zone is east of UTC: every connection DuckDB opens starts in Europe/Berlin, as it does when
      // the process runs with TZ=Europe/Berlin (DuckDB takes its default zone from the environment). Set on the
      // connection so that the test does not depend on the zone of the machine that runs it.
      const connect = DuckDBInstance.prototype.connect;
      const spy = jest
        .spyOn(DuckDBInstance.prototype, 'connect')
        .mockImplementation(async function zoned(this: DuckDBInstance) {
          const connection = await connect.call(this);
          await connection.run("SET TimeZone = 'Europe/Berlin'");
          return connection;
        });
      try {
        // TIMESTAMPTZ charge periods (as Parquet written by Spark or DuckDB hold them), noon UTC every day of September.
        const lake = path.join(data, 'tz-lake');
        fs.mkdirSync(lake, { recursive: true });
        await duckdbRows(`COPY (SELECT
            TIMESTAMPTZ '2026-09-01 12:00:00+00' + to_days(i::INTEGER) AS ChargePeriodStart,
            TIMESTAMPTZ '2026-09-01 13:00:00+00' + to_days(i::INTEGER) AS ChargePeriodEnd,
            'acct-1' AS BillingAccountId,
            TIMESTAMPTZ '2026-09-01 00:00:00+00' AS BillingPeriodStart,
            TIMESTAMPTZ '2026-10-01 00:00:00+00' AS BillingPeriodEnd,
            'USD' AS BillingCurrency, 'AWS' AS ProviderName, 'Compute' AS ServiceCategory,
            'Amazon EC2' AS ServiceName, 'eu-west-1' AS RegionId, 'sub-1' AS SubAccountId, 'Sub' AS SubAccountName,
            'Usage' AS ChargeCategory, 'Hours' AS ConsumedUnit, NULL::VARCHAR AS Tags, 'SKU1' AS SkuId,
            NULL::VARCHAR AS CommitmentDiscountStatus, 10.0 AS BilledCost, 10.0 AS EffectiveCost,
            10.0 AS ListCost, 1.0 AS ConsumedQuantity
          FROM range(30) r(i)) TO '${lake}/september.parquet' (FORMAT parquet)`);
        const [record] = await scanner([
          query({ name: 'tz', sql: dailyAggregates(lake), paths: [lake] }),
        ]).scan();
        expect([record.status, record.error]).toEqual(['succeeded', undefined]);
        const perDay = await store.aggregate(
          { start: '2026-08-01', endExclusive: '2026-11-01', currency: 'USD' },
          ['day'],
          ['effectiveCost'],
        );
        const days = perDay.map(r => r.day).sort();
        expect(days.length).toBe(30);
        expect([days[0], days[29]]).toEqual(['2026-09-01', '2026-09-30']);
        expect(perDay.every(r => r.effectiveCost === 10)).toBe(true);
      } finally {
        spy.mockRestore();
      }
    });

    it('skips engines it does not run', async () => {
      expect(await scanner([query({ engine: 'bigquery' })]).scan()).toEqual([]);
    });
  },
);

describe('Query source configuration', () => {
  const config = (query: Record<string, unknown>) =>
    new ConfigReader({
      forge: {
        cost: {
          ingestion: {
            queries: [
              {
                name: 'focus',
                sql: 'SELECT 1',
                paths: ['/srv/focus'],
                ...query,
              },
            ],
          },
        },
      },
    });

  it.each([
    [
      { paths: [] },
      'forge.cost.ingestion.queries.0.paths: a DuckDB query lists',
    ],
    [{ paths: ['/'] }, 'not the root of a file system'],
    [
      { paths: ['s3://'] },
      'not the root of a file system or a whole object store',
    ],
    [{ sql: '' }, 'forge.cost.ingestion.queries.0.sql'],
    [{ engine: 'oracle' }, 'forge.cost.ingestion.queries.0.engine'],
    [{ name: 'a b' }, 'letters, digits, dots, dashes and underscores'],
    [{ extensions: ['httpfs; INSTALL x'] }, 'an extension name'],
    [{ memoryLimit: 'lots' }, 'a size such as 2GB'],
    [{ timeoutSeconds: 0 }, 'forge.cost.ingestion.queries.0.timeoutSeconds'],
  ])('refuses %j, saying what to fix', (query, message) => {
    expect(() => readCostConfig(config(query))).toThrow(message);
  });

  it('accepts a warehouse query without paths, and object-store prefixes', () => {
    const { ingestion } = readCostConfig(
      config({ engine: 'bigquery', paths: undefined }),
    );
    expect(ingestion.queries[0].paths).toEqual([]);
    expect(
      readCostConfig(config({ paths: ['s3://billing/focus/'] })).ingestion
        .queries[0].paths,
    ).toEqual(['s3://billing/focus/']);
  });
});
