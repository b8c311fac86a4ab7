// Double counting as a class: whatever route the same billing month takes into Forge (a file re-delivered under
// another name, a snapshot delivered again or late, the inbox and a query over the same lines, a restatement in
// another notation, a second export of the same account, a part listed twice), it is counted once. The expected
// figures are DuckDB's sums of the billing lines of ONE copy of the month (exportFolders.ts), never Forge's.
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  independentDailyTotals,
  writeAwsExecution,
  writeAzureRun,
  writeExportFile,
} from '../__testUtils__/exportFolders';
import {
  testCatalogAfterRuleChange,
  testCatalogEntities,
} from '../__testUtils__/catalogFixture';
import { focusCsv, focusRow, TestFocusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostSourceScanner } from './CostSourceScanner';
import { CostQuery } from './sources/duckdbQuerySource';

jest.setTimeout(90_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

const MONTH = {
  start: '2026-09-01',
  endExclusive: '2026-10-01',
  currency: 'USD',
};

/** September 2026 of one account, `days` days of two services; `version` changes the amounts. */
function september(
  days: number,
  version = 0,
  row: TestFocusRow = {},
): TestFocusRow[] {
  const rows: TestFocusRow[] = [];
  for (let d = 1; d <= days; d++) {
    const day = `2026-09-${String(d).padStart(2, '0')}`;
    ['Amazon EC2', 'Amazon S3'].forEach((service, s) => {
      const cost = ((d * 13 + s * 5 + version) % 41) / 7 + 0.000000001;
      rows.push(
        focusRow(day, {
          ServiceName: service,
          BilledCost: cost.toFixed(9),
          EffectiveCost: (cost * 0.9).toFixed(9),
          ListCost: (cost * 1.1).toFixed(9),
          BillingPeriodStart: '2026-09-01T00:00:00Z',
          BillingPeriodEnd: '2026-10-01T00:00:00Z',
          ...row,
        }),
      );
    });
  }
  return rows;
}

describe.each(databases.eachSupportedId())(
  'The same billing month by any route is counted once (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let dir: string;
    let inbox: string;

    beforeEach(async () => {
      store = await createTestStore(await databases.init(databaseId));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-twice-'));
      inbox = path.join(dir, 'inbox');
      fs.mkdirSync(inbox);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const scanner = (queries: CostQuery[] = []) =>
      new CostSourceScanner({
        store,
        ingester: createTestIngester(store, createTestCatalog()),
        urlReader: mockServices.urlReader.mock(),
        logger: mockServices.logger.mock(),
        settings: {
          folder: inbox,
          locations: [],
          queries,
          demoData: { enabled: false, days: 90, seed: 1 },
        },
      });

    /** What is stored for September, per day: billed, effective, list. */
    async function stored(): Promise<Record<string, number[]>> {
      const rows = await store.aggregate(
        MONTH,
        ['day'],
        ['billedCost', 'effectiveCost', 'listCost'],
      );
      return Object.fromEntries(
        rows.map(r => [r.day!, [r.billedCost!, r.effectiveCost!, r.listCost!]]),
      );
    }

    /** Asserts September holds exactly one copy of the billing lines of `files`. */
    async function expectOnce(files: string[], format: 'csv' | 'parquet') {
      const expected = await independentDailyTotals(files, format);
      const actual = await stored();
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      for (const [day, e] of Object.entries(expected)) {
        expect(actual[day][0]).toBeCloseTo(e.billed, 9);
        expect(actual[day][1]).toBeCloseTo(e.effective, 9);
        expect(actual[day][2]).toBeCloseTo(e.list, 9);
      }
    }

    it('a file re-delivered under another name, and as gzip or Parquet', async () => {
      const original = path.join(inbox, 'focus-2026-09.csv');
      await writeExportFile(original, september(20), 'csv');
      await scanner().scan();
      await writeExportFile(
        path.join(inbox, 'focus-2026-09 (1).csv.gz'),
        september(20),
        'csv.gz',
      );
      await writeExportFile(
        path.join(inbox, 'focus-2026-09.parquet'),
        september(20),
        'parquet',
      );
      const records = await scanner().scan();
      expect(records.map(r => r.status)).toEqual(['succeeded', 'succeeded']);
      await expectOnce([original], 'csv');
    });

    it('a month restated later in another notation of its period, with fewer days', async () => {
      await writeExportFile(
        path.join(inbox, 'first.csv'),
        september(20),
        'csv',
      );
      await scanner().scan();
      // The restatement writes the period with a zone offset and a date-only end, and holds 18 days: the two
      // dropped days must disappear, not linger from the first delivery.
      const restated = path.join(inbox, 'restated.csv');
      await writeExportFile(
        restated,
        september(18, 3, {
          BillingPeriodStart: '2026-09-01T00:00:00-07:00',
          BillingPeriodEnd: '2026-09-30',
        }),
        'csv',
      );
      const [record] = await scanner().scan();
      expect(record.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2026-09-01' },
      ]);
      await expectOnce([restated], 'csv');
    });

    it('the inbox and a DuckDB query over the same lines', async () => {
      const lines = path.join(dir, 'lake', 'focus.parquet');
      await writeExportFile(lines, september(15), 'parquet');
      fs.copyFileSync(lines, path.join(inbox, 'focus.parquet'));
      const query: CostQuery = {
        name: 'lake',
        engine: 'duckdb',
        sql: `SELECT ChargePeriodStart, ChargePeriodEnd, BillingAccountId, BillingPeriodStart, BillingPeriodEnd,
                BillingCurrency, ProviderName, ServiceCategory, ServiceName, SubAccountId, ChargeCategory,
                sum(CAST(BilledCost AS DECIMAL(38, 15))) AS BilledCost,
                sum(CAST(EffectiveCost AS DECIMAL(38, 15))) AS EffectiveCost,
                sum(CAST(ListCost AS DECIMAL(38, 15))) AS ListCost,
                count(*) AS x_RowCount
              FROM read_parquet('${path.dirname(
                lines,
              )}/*.parquet') GROUP BY ALL`,
        paths: [path.dirname(lines)],
        extensions: [],
        memoryLimit: '256MB',
        threads: 1,
        timeoutSeconds: 60,
        refreshMinutes: 60,
      };
      const records = await scanner([query]).scan();
      expect(records.map(r => [r.source, r.status])).toEqual([
        ['folder', 'succeeded'],
        ['query', 'succeeded'],
      ]);
      await expectOnce([lines], 'parquet');
      // An upload of the same month on top: still once.
      await createTestIngester(store).ingest({
        source: 'upload',
        location: 'upload:september.csv',
        content: Readable.from([focusCsv(september(15))]),
      });
      await expectOnce([lines], 'parquet');
    });

    it('a DuckDB query over an AWS folder of many executions, picking the latest as docs/cost.md shows', async () => {
      const root = path.join(dir, 'aws');
      const base = { root, exportName: 'focus', period: '2026-09' };
      await writeAwsExecution({
        ...base,
        executionId: 'e1',
        time: '20260911T060000Z',
        parts: [september(10, 1)],
        format: 'parquet',
      });
      const latest = await writeAwsExecution({
        ...base,
        executionId: 'e2',
        time: '20260921T060000Z',
        parts: [september(20, 2).slice(0, 15), september(20, 2).slice(15)],
        format: 'parquet',
      });
      const sql = `
        WITH lines AS (
          SELECT *, regexp_extract(filename, 'BILLING_PERIOD=([^/]+)/', 1) AS period,
                 regexp_extract(filename, 'BILLING_PERIOD=[^/]+/([^/]+)/', 1) AS execution
          FROM read_parquet('${root}/focus/data/*/*/*.parquet', filename = true)
        ), latest AS (SELECT period, max(execution) AS execution FROM lines GROUP BY period)
        SELECT date_trunc('day', ChargePeriodStart) AS ChargePeriodStart,
          date_trunc('day', ChargePeriodStart) + INTERVAL 1 DAY AS ChargePeriodEnd,
          BillingAccountId, BillingPeriodStart, BillingPeriodEnd, BillingCurrency, ProviderName,
          ServiceCategory, ServiceName, SubAccountId, ChargeCategory,
          sum(CAST(BilledCost AS DECIMAL(38, 15))) AS BilledCost,
          sum(CAST(EffectiveCost AS DECIMAL(38, 15))) AS EffectiveCost,
          sum(CAST(ListCost AS DECIMAL(38, 15))) AS ListCost,
          count(*) AS x_RowCount
        FROM lines JOIN latest USING (period, execution) GROUP BY ALL`;
      const [record] = await scanner([
        {
          name: 'aws-lake',
          engine: 'duckdb',
          sql,
          paths: [root],
          extensions: [],
          memoryLimit: '256MB',
          threads: 1,
          timeoutSeconds: 60,
          refreshMinutes: 60,
        },
      ]).scan();
      expect([record.status, record.error, record.rowCount]).toEqual([
        'succeeded',
        undefined,
        40,
      ]);
      await expectOnce(latest, 'parquet');
    });

    it('an older Azure run delivered after a newer one', async () => {
      const root = path.join(inbox, 'azure');
      const newer = await writeAzureRun({
        root,
        exportName: 'focus-monthly',
        period: '2026-09',
        runId: 'b0000000-0000-0000-0000-000000000002',
        submittedTime: '2026-09-21T06:00:00Z',
        parts: [september(20, 2)],
        format: 'csv',
      });
      await scanner().scan();
      // The run of the 11th lands late (a sync catching up): it is not the latest, so it replaces nothing.
      await writeAzureRun({
        root,
        exportName: 'focus-monthly',
        period: '2026-09',
        runId: 'a0000000-0000-0000-0000-000000000001',
        submittedTime: '2026-09-11T06:00:00Z',
        parts: [september(10, 1)],
        format: 'csv',
      });
      expect(await scanner().scan()).toEqual([]);
      await expectOnce(newer, 'csv');
    });

    it('two exports of the same account and period: the last read replaces the other', async () => {
      const root = path.join(inbox, 'aws');
      const base = {
        root,
        period: '2026-09',
        time: '20260921T060000Z',
        format: 'parquet' as const,
      };
      await writeAwsExecution({
        ...base,
        exportName: 'focus-daily',
        executionId: 'e1',
        parts: [september(20).slice(0, 20), september(20).slice(20)],
      });
      const second = await writeAwsExecution({
        ...base,
        exportName: 'focus-finance',
        executionId: 'e2',
        parts: [september(20)],
      });
      const records = await scanner().scan();
      expect(records.map(r => r.status)).toEqual(['succeeded', 'succeeded']);
      await expectOnce(second, 'parquet');
    });

    it('a file rewritten in place that no longer holds an account: the account leaves the month', async () => {
      const file = path.join(inbox, 'focus-2026-09.csv');
      // The first delivery keys the second half of the month to a wrong account; the provider corrects it in place.
      await writeExportFile(
        file,
        september(30).map((row, i) =>
          i >= 30 ? { ...row, BillingAccountId: 'acct-old' } : row,
        ),
        'csv',
      );
      await scanner().scan();
      await writeExportFile(file, september(30), 'csv');
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(file, later, later);
      const [record] = await scanner().scan();
      expect(record.status).toBe('succeeded');
      // The record says so: acct-old's September is replaced by nothing.
      expect(record.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2026-09-01' },
        {
          billingAccountId: 'acct-old',
          billingPeriodStart: '2026-09-01',
          withdrawn: true,
        },
      ]);
      await expectOnce([file], 'csv');
    });

    it('a later Azure run, in a folder of its own, that moved lines to another account: the account leaves the month', async () => {
      const root = path.join(inbox, 'azure');
      const run = (
        runId: string,
        submittedTime: string,
        rows: TestFocusRow[],
      ) =>
        writeAzureRun({
          root,
          exportName: 'focus-monthly',
          period: '2026-09',
          runId,
          submittedTime,
          parts: [rows],
          format: 'csv',
        });
      // The run of the 11th keys the second half of its lines to a wrong account; the run of the 12th corrects it.
      await run(
        'a0000000-0000-0000-0000-000000000011',
        '2026-09-11T06:00:00Z',
        september(11).map((row, i) =>
          i >= 11 ? { ...row, BillingAccountId: 'acct-old' } : row,
        ),
      );
      await scanner().scan();
      const latest = await run(
        'a0000000-0000-0000-0000-000000000012',
        '2026-09-12T06:00:00Z',
        september(12),
      );
      const [record] = await scanner().scan();
      expect(record.status).toBe('succeeded');
      expect(record.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2026-09-01' },
        {
          billingAccountId: 'acct-old',
          billingPeriodStart: '2026-09-01',
          withdrawn: true,
        },
      ]);
      await expectOnce(latest, 'csv');
    });

    it('another export of the same account is not withdrawn by a run of this one', async () => {
      const root = path.join(inbox, 'azure');
      const run = (exportName: string, runId: string, rows: TestFocusRow[]) =>
        writeAzureRun({
          root,
          exportName,
          period: '2026-09',
          runId,
          submittedTime: '2026-09-12T06:00:00Z',
          parts: [rows],
          format: 'csv',
        });
      const other = await run(
        'focus-other-tenant',
        'b0000000-0000-0000-0000-000000000001',
        september(12, 3, { BillingAccountId: 'acct-2' }),
      );
      await scanner().scan();
      const mine = await run(
        'focus-monthly',
        'a0000000-0000-0000-0000-000000000012',
        september(12),
      );
      const [record] = await scanner().scan();
      expect(record.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2026-09-01' },
      ]);
      await expectOnce([...other, ...mine], 'csv');
    });

    describe('when the attribution rules change, sources read again keep delivery order', () => {
      const scannerWith = (entities: Entity[]) =>
        new CostSourceScanner({
          store,
          ingester: createTestIngester(store, createTestCatalog(entities)),
          urlReader: mockServices.urlReader.mock(),
          logger: mockServices.logger.mock(),
          settings: {
            folder: inbox,
            locations: [],
            queries: [],
            demoData: { enabled: false, days: 90, seed: 1 },
          },
        });

      it('an upload restating the month stays when the inbox original is read again', async () => {
        const original = path.join(inbox, '2026-09.csv');
        await writeExportFile(original, september(30, 1), 'csv');
        await scannerWith(testCatalogEntities).scan();
        const restated = path.join(dir, 'restated.csv');
        await writeExportFile(restated, september(30, 2), 'csv');
        await createTestIngester(store, createTestCatalog()).ingest({
          source: 'upload',
          location: 'upload:2026-09-restated.csv',
          content: fs.createReadStream(restated),
        });
        await expectOnce([restated], 'csv');

        const again = await scannerWith(testCatalogAfterRuleChange).scan();
        // The original is read again for the new rules, and replaces nothing: the upload delivered September since.
        expect(again.map(r => [r.location, r.status, r.periods])).toEqual([
          ['inbox/2026-09.csv', 'succeeded', []],
        ]);
        await expectOnce([restated], 'csv');
      });

      it('a later inbox file restating the month stays when both are read again', async () => {
        const original = path.join(inbox, '2026-09.csv');
        await writeExportFile(original, september(30, 1), 'csv');
        await scannerWith(testCatalogEntities).scan();
        const restated = path.join(inbox, '2026-09-v2.csv');
        await writeExportFile(restated, september(25, 2), 'csv');
        await scannerWith(testCatalogEntities).scan();
        await expectOnce([restated], 'csv');

        // Both are read again, in the inbox's order (the original last): the restatement keeps the month, now
        // attributed by the new rules, and the original replaces nothing.
        const again = await scannerWith(testCatalogAfterRuleChange).scan();
        expect(again.map(r => [r.location, r.periods])).toEqual([
          [
            'inbox/2026-09-v2.csv',
            [{ billingAccountId: 'acct-1', billingPeriodStart: '2026-09-01' }],
          ],
          ['inbox/2026-09.csv', []],
        ]);
        await expectOnce([restated], 'csv');
      });
    });

    it('the same account in another case: an Azure subscription, a billing account path, a GUID of any provider', async () => {
      const spellings: Array<[string, string, string, string]> = [
        // provider, first delivery, re-delivery, the key Forge gives both
        [
          'Microsoft',
          '9F1C2E3A-4B5D-4E6F-8A7B-0C1D2E3F4A5B',
          '9f1c2e3a-4b5d-4e6f-8a7b-0c1d2e3f4a5b',
          '9f1c2e3a-4b5d-4e6f-8a7b-0c1d2e3f4a5b',
        ],
        [
          'Microsoft',
          '/providers/Microsoft.Billing/billingAccounts/Meridian-EA',
          '/providers/microsoft.billing/billingaccounts/meridian-ea',
          '/providers/microsoft.billing/billingaccounts/meridian-ea',
        ],
        [
          'Oracle',
          'AB12CD34-0000-4000-8000-00000000ABCD',
          'ab12cd34-0000-4000-8000-00000000abcd',
          'ab12cd34-0000-4000-8000-00000000abcd',
        ],
        [
          'Google Cloud',
          '01a2b3-c4d5e6-f7a8b9',
          '01A2B3-C4D5E6-F7A8B9',
          '01A2B3-C4D5E6-F7A8B9',
        ],
      ];
      const redelivered: string[] = [];
      for (const [i, [provider, first, again, key]] of spellings.entries()) {
        await writeExportFile(
          path.join(inbox, `first-${i}.csv`),
          september(20, i, { ProviderName: provider, BillingAccountId: first }),
          'csv',
        );
        await scanner().scan();
        redelivered.push(path.join(inbox, `again-${i}.csv`));
        await writeExportFile(
          redelivered[i],
          september(20, i + 5, {
            ProviderName: provider,
            BillingAccountId: again,
          }),
          'csv',
        );
        const [record] = await scanner().scan();
        expect(record.periods).toEqual([
          { billingAccountId: key, billingPeriodStart: '2026-09-01' },
        ]);
        // Every account's September once: the re-deliveries replaced the first deliveries.
        await expectOnce(redelivered, 'csv');
      }
      // Other providers' ids are kept as written (AWS's are digits): two spellings are two accounts.
      await writeExportFile(
        path.join(inbox, 'other.csv'),
        september(20, 0, {
          ProviderName: 'Oracle',
          BillingAccountId: 'Tenancy-A',
        }),
        'csv',
      );
      await writeExportFile(
        path.join(inbox, 'other-lower.csv'),
        september(20, 0, {
          ProviderName: 'Oracle',
          BillingAccountId: 'tenancy-a',
        }),
        'csv',
      );
      const records = await scanner().scan();
      expect(
        records.flatMap(r => r.periods.map(p => p.billingAccountId)).sort(),
      ).toEqual(['Tenancy-A', 'tenancy-a']);
    });

    it('refuses a snapshot whose manifest lists a part twice, or two parts with the same content', async () => {
      const root = path.join(inbox, 'aws');
      await writeAwsExecution({
        root,
        exportName: 'focus',
        period: '2026-09',
        executionId: 'e1',
        time: '20260921T060000Z',
        parts: [september(20)],
        format: 'csv',
      });
      const manifestPath = path.join(
        root,
        'focus/metadata/BILLING_PERIOD=2026-09/focus-Manifest.json',
      );
      const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
      manifest.dataFiles.push(manifest.dataFiles[0]);
      fs.writeFileSync(manifestPath, JSON.stringify(manifest));
      const [twice] = await scanner().scan();
      expect(twice.status).toBe('rejected');
      expect(twice.error).toMatch(
        /^The manifest lists inbox\/aws\/focus\/data\/\S+\/focus-00001\.csv twice/,
      );
      expect(await store.hasRollups()).toBe(false);

      // The same bytes under a second name in the same snapshot: a re-delivered part, not a partition.
      const first = manifest.dataFiles[0] as string;
      const copy = first.replace('00001', '00002');
      const local = path.join(
        root,
        'focus/data/BILLING_PERIOD=2026-09/20260921T060000Z-e1',
      );
      fs.copyFileSync(
        path.join(local, 'focus-00001.csv'),
        path.join(local, 'focus-00002.csv'),
      );
      manifest.dataFiles = [first, copy];
      fs.writeFileSync(manifestPath, JSON.stringify(manifest));
      const [same] = await scanner().scan();
      expect(same.status).toBe('rejected');
      expect(same.error).toContain(
        'focus-00002.csv has the same content as inbox/aws/focus/data',
      );
      expect(await store.hasRollups()).toBe(false);
    });
  },
);
