import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ExportFormat,
  independentDailyTotals,
  writeAwsExecution,
  writeAzureRun,
} from '../__testUtils__/exportFolders';
import { focusRow, TestFocusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostSourceScanner } from './CostSourceScanner';

// Each test writes several export files with DuckDB and ingests them more than once; on a busy machine with
// PostgreSQL that takes longer than Jest's default 5 s.
jest.setTimeout(60_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

const SERVICES = [
  ['Compute', 'Amazon EC2'],
  ['Storage', 'Amazon S3'],
  ['AI and Machine Learning', 'Amazon SageMaker'],
];

/**
 * A full snapshot of September 2026 up to `days` days, as a provider rewrites it daily: `version` changes the
 * amounts, so snapshots differ. Split into `parts` files.
 */
function snapshot(days: number, version: number, parts = 2): TestFocusRow[][] {
  const rows: TestFocusRow[] = [];
  for (let d = 1; d <= days; d++) {
    const day = `2026-09-${String(d).padStart(2, '0')}`;
    SERVICES.forEach(([category, service], s) => {
      const cost = (d * 7 + s * 3 + version) / 8 + 0.000000000123;
      rows.push(
        focusRow(day, {
          ServiceCategory: category,
          ServiceName: service,
          BilledCost: cost.toFixed(12),
          EffectiveCost: (cost * 0.9).toFixed(6),
          ListCost: (cost * 1.25).toFixed(12),
          Tags:
            s === 0
              ? '{"forge-project": "churn-model", "env": "prod"}'
              : 'NULL',
          BillingPeriodStart: '2026-09-01T00:00:00Z',
          BillingPeriodEnd: '2026-10-01T00:00:00Z',
        }),
      );
    });
  }
  const size = Math.ceil(rows.length / parts);
  return Array.from({ length: parts }, (_, i) =>
    rows.slice(i * size, (i + 1) * size),
  );
}

const MONTH = {
  start: '2026-09-01',
  endExclusive: '2026-10-01',
  currency: 'USD',
};

async function storedDailyTotals(store: DatabaseCostStore) {
  const rows = await store.aggregate(
    MONTH,
    ['day'],
    ['billedCost', 'effectiveCost', 'listCost'],
  );
  return Object.fromEntries(
    rows.map(r => [
      r.day!,
      { billed: r.billedCost!, effective: r.effectiveCost!, list: r.listCost! },
    ]),
  );
}

function expectSameTotals(
  actual: Record<string, { billed: number; effective: number; list: number }>,
  expected: Record<string, { billed: number; effective: number; list: number }>,
) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [day, e] of Object.entries(expected)) {
    expect(actual[day].billed).toBeCloseTo(e.billed, 9);
    expect(actual[day].effective).toBeCloseTo(e.effective, 9);
    expect(actual[day].list).toBeCloseTo(e.list, 9);
  }
}

const sumBilled = (t: Record<string, { billed: number }>) =>
  Object.values(t).reduce((s, d) => s + d.billed, 0);

describe.each(databases.eachSupportedId())(
  'Export folders in the inbox (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let inbox: string;
    const scanner = () =>
      new CostSourceScanner({
        store,
        ingester: createTestIngester(store, createTestCatalog()),
        urlReader: mockServices.urlReader.mock(),
        logger: mockServices.logger.mock(),
        settings: {
          folder: inbox,
          locations: [],
          demoData: { enabled: false, days: 90, seed: 1 },
        },
      });

    beforeEach(async () => {
      store = await createTestStore(await databases.init(databaseId));
      inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-exports-'));
    });
    afterEach(() => fs.rmSync(inbox, { recursive: true, force: true }));

    describe.each<ExportFormat>(['csv.gz', 'parquet'])('AWS, %s', format => {
      it('waits while parts are written over after their manifest, and reads them once settled', async () => {
        const base = {
          root: path.join(inbox, 'aws'),
          exportName: 'focus-export',
          period: '2026-09',
          executionId: 'exec-1',
          time: '2026-09-10T06:00:00.000Z',
          format,
        };
        const parts = await writeAwsExecution({
          ...base,
          parts: snapshot(9, 1),
        });
        const manifest = path.join(
          base.root,
          'focus-export/metadata/BILLING_PERIOD=2026-09/focus-export-Manifest.json',
        );
        const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
        // Delivered half an hour ago, the parts before their manifest.
        for (const part of parts) {
          fs.utimesSync(part, minutesAgo(31), minutesAgo(31));
        }
        fs.utimesSync(manifest, minutesAgo(30), minutesAgo(30));
        expect((await scanner().scan()).map(r => r.status)).toEqual([
          'succeeded',
        ]);
        const first = await independentDailyTotals(parts, format);

        // The next delivery (overwrite mode) rewrites the first part under its name; its manifest is not written yet.
        const next = snapshot(12, 2);
        const scratch = await writeAwsExecution({
          ...base,
          root: path.join(inbox, '..', `${path.basename(inbox)}-next`),
          parts: next,
        });
        fs.copyFileSync(scratch[0], parts[0]);
        expect(await scanner().scan()).toEqual([]);
        expectSameTotals(await storedDailyTotals(store), first);

        // Written over long enough ago (a sync that kept no times): read as it is.
        fs.utimesSync(parts[0], minutesAgo(20), minutesAgo(20));
        expect((await scanner().scan()).map(r => r.status)).toEqual([
          'succeeded',
        ]);
        expectSameTotals(
          await storedDailyTotals(store),
          await independentDailyTotals(parts, format),
        );
        fs.rmSync(path.join(inbox, '..', `${path.basename(inbox)}-next`), {
          recursive: true,
          force: true,
        });
      });

      it('counts only the latest complete snapshot of a period, whatever the folder holds', async () => {
        const root = path.join(inbox, 'aws');
        const base = {
          root,
          exportName: 'focus-export',
          period: '2026-09',
          format,
        };
        const first = await writeAwsExecution({
          ...base,
          executionId: 'exec-1',
          time: '2026-09-10T06:00:00.000Z',
          parts: snapshot(9, 1),
        });
        const second = await writeAwsExecution({
          ...base,
          executionId: 'exec-2',
          time: '2026-09-20T06:00:00.000Z',
          parts: snapshot(19, 2, 3),
        });

        const records = await scanner().scan();
        expect(records.map(r => [r.location, r.status, r.error])).toEqual([
          [
            'inbox/aws/focus-export/metadata/BILLING_PERIOD=2026-09/focus-export-Manifest.json',
            'succeeded',
            undefined,
          ],
        ]);
        expect(records[0].rowCount).toBe(19 * SERVICES.length);
        const expected = await independentDailyTotals(second, format);
        expectSameTotals(await storedDailyTotals(store), expected);
        // Summing every file of the folder, as a naive reader does, counts the first nine days twice.
        const naive = await independentDailyTotals(
          [...first, ...second],
          format,
        );
        expect(sumBilled(naive)).toBeGreaterThan(sumBilled(expected) * 1.2);

        // Split-tagged rows land on their entity, from the Parquet MAP as from CSV JSON.
        const [churn] = await store.aggregate(
          { ...MONTH, entityRefs: ['component:default/churn-model'] },
          [],
          ['billedCost'],
        );
        expect(churn.billedCost).toBeGreaterThan(0);
        expect(await scanner().scan()).toEqual([]);

        // The next execution's manifest arrives before all its parts: nothing changes until they are all there.
        const third = snapshot(25, 3);
        await writeAwsExecution({
          ...base,
          executionId: 'exec-3',
          time: '2026-09-26T06:00:00.000Z',
          parts: third.slice(0, 1),
          missingParts: 1,
        });
        expect(await scanner().scan()).toEqual([]);
        expectSameTotals(await storedDailyTotals(store), expected);

        const complete = await writeAwsExecution({
          ...base,
          executionId: 'exec-3',
          time: '2026-09-26T06:00:00.000Z',
          parts: third,
        });
        const later = await scanner().scan();
        expect(later.map(r => r.status)).toEqual(['succeeded']);
        expectSameTotals(
          await storedDailyTotals(store),
          await independentDailyTotals(complete, format),
        );
      });
    });

    describe.each<ExportFormat>(['csv', 'parquet'])('Azure, %s', format => {
      it('reads the partitioned run with the latest submittedTime that is complete', async () => {
        const root = path.join(inbox, 'azure');
        const base = {
          root,
          exportName: 'focus-daily',
          period: '2026-09',
          format,
        };
        const older = await writeAzureRun({
          ...base,
          runId: '6c1f2a40-0000-4000-8000-000000000001',
          submittedTime: '2026-09-18T08:02:11.5Z',
          parts: snapshot(17, 1, 2),
        });
        const latest = await writeAzureRun({
          ...base,
          runId: '6c1f2a40-0000-4000-8000-000000000002',
          submittedTime: '2026-09-19T08:01:57.1Z',
          parts: snapshot(18, 2, 3),
        });
        // A newer run still being written: listed parts are missing.
        await writeAzureRun({
          ...base,
          runId: '6c1f2a40-0000-4000-8000-000000000003',
          submittedTime: '2026-09-20T08:03:40.0Z',
          parts: snapshot(19, 3, 3).slice(0, 2),
          missingParts: 1,
        });

        const records = await scanner().scan();
        expect(records.map(r => [r.location, r.status, r.error])).toEqual([
          [
            expect.stringMatching(
              /^inbox\/azure\/focus-daily\/20260901-20260930\/\d{12}\/6c1f2a40-0000-4000-8000-000000000002\/manifest\.json$/,
            ),
            'succeeded',
            undefined,
          ],
        ]);
        const expected = await independentDailyTotals(latest, format);
        expectSameTotals(await storedDailyTotals(store), expected);
        const naive = await independentDailyTotals(
          [...older, ...latest],
          format,
        );
        expect(sumBilled(naive)).toBeGreaterThan(sumBilled(expected) * 1.5);
        expect(await scanner().scan()).toEqual([]);
      });
    });

    it('refuses an export snapshot whole when one part has a bad row, naming the part', async () => {
      const parts = snapshot(5, 1, 2);
      parts[1][2] = { ...parts[1][2], BilledCost: '0x1A' };
      await writeAzureRun({
        root: path.join(inbox, 'azure'),
        exportName: 'focus-daily',
        period: '2026-09',
        runId: 'run-bad',
        submittedTime: '2026-09-06T08:00:00Z',
        parts,
        format: 'csv',
      });
      const [record] = await scanner().scan();
      expect(record.status).toBe('rejected');
      expect(record.rejects).toEqual([
        {
          file: expect.stringMatching(/\/part_1_0001\.csv$/),
          row: 4,
          column: 'BilledCost',
          reason: expect.stringContaining('"0x1A" is not a number'),
        },
      ]);
      expect(await storedDailyTotals(store)).toEqual({});
    });

    it('leaves a record saying why a manifest cannot be read, once', async () => {
      const dir = path.join(
        inbox,
        'azure',
        'focus-daily',
        '20260901-20260930',
        'run',
      );
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'manifest.json'), '{"blobs": [{}]');
      fs.writeFileSync(
        path.join(inbox, 'aws-Manifest.json'),
        JSON.stringify({
          executionId: 'x',
          dataFiles: ['s3://b/../../etc/passwd'],
        }),
      );
      const records = await scanner().scan();
      expect(records.map(r => [r.location, r.status, r.error])).toEqual([
        [
          'inbox/aws-Manifest.json',
          'rejected',
          expect.stringContaining('has a path Forge does not follow'),
        ],
        [
          'inbox/azure/focus-daily/20260901-20260930/run/manifest.json',
          'rejected',
          expect.stringContaining('The manifest is not JSON'),
        ],
      ]);
      expect(await scanner().scan()).toEqual([]);
    });

    it('refuses a snapshot whose data folder is a link to a folder outside the inbox', async () => {
      await writeAwsExecution({
        root: inbox,
        exportName: 'linked',
        period: '2026-09',
        executionId: 'e',
        time: 't',
        parts: snapshot(3, 1, 1),
        format: 'csv',
      });
      // The data folder moved out of the inbox, and linked from where it was.
      const outside = `${inbox}-elsewhere`;
      fs.renameSync(path.join(inbox, 'linked', 'data'), outside);
      fs.symlinkSync(outside, path.join(inbox, 'linked', 'data'));
      const records = await scanner()
        .scan()
        .finally(() => fs.rmSync(outside, { recursive: true, force: true }));
      expect(records.map(r => [r.location, r.status, r.error])).toEqual([
        [
          'inbox/linked/metadata/BILLING_PERIOD=2026-09/linked-Manifest.json',
          'rejected',
          expect.stringMatching(
            /^The data file inbox\/linked\/data\/\S+ lies in a folder linked from outside the inbox/,
          ),
        ],
      ]);
      expect(await storedDailyTotals(store)).toEqual({});
    });

    it('reads Parquet files dropped at the top of the inbox, and no file below it on its own', async () => {
      const parts = snapshot(3, 1, 1);
      await writeAwsExecution({
        root: inbox,
        exportName: 'single',
        period: '2026-09',
        executionId: 'e',
        time: 't',
        parts,
        format: 'parquet',
        manifest: false,
      });
      const top = path.join(inbox, 'september.parquet');
      fs.copyFileSync(
        (
          await writeAwsExecution({
            root: path.join(os.tmpdir(), `cost-parquet-${process.pid}`),
            exportName: 'copy',
            period: '2026-09',
            executionId: 'e',
            time: 't',
            parts,
            format: 'parquet',
            manifest: false,
          })
        )[0],
        top,
      );
      const records = await scanner().scan();
      expect(records.map(r => [r.location, r.status])).toEqual([
        ['inbox/september.parquet', 'succeeded'],
      ]);
      expectSameTotals(
        await storedDailyTotals(store),
        await independentDailyTotals([top], 'parquet'),
      );
      fs.rmSync(path.join(os.tmpdir(), `cost-parquet-${process.pid}`), {
        recursive: true,
        force: true,
      });
    });
  },
);
