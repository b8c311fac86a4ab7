// An export that declares the days it covers (an Azure run's runInfo startDate..endDate) replaces only those days of
// a billing period it covers in part; the other days keep their figures. One that covers whole periods, or declares
// nothing, replaces its periods whole. The expected figures are DuckDB's sums of the delivered files, never Forge's.
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  independentDailyTotals,
  writeAzureRun,
  writeExportFile,
} from '../__testUtils__/exportFolders';
import {
  testCatalogAfterRuleChange,
  testCatalogEntities,
} from '../__testUtils__/catalogFixture';
import { focusRow, TestFocusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostSourceScanner } from './CostSourceScanner';
import { parseExportManifest } from './sources/exportManifests';
import { replacedPeriods } from './replacedPeriods';

jest.setTimeout(90_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

const RANGE = {
  start: '2026-08-01',
  endExclusive: '2026-10-01',
  currency: 'USD',
};

/** Every day from `from` to `to` (included). */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`);
    t += 86_400_000
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** Two services' rows for each day, in the day's billing month; `version` changes the amounts. */
function rowsOf(days: string[], version: number): TestFocusRow[] {
  return days.flatMap(day =>
    ['Virtual Machines', 'Storage'].map((service, s) => {
      const d = Number(day.slice(8)) + Number(day.slice(5, 7)) * 31;
      const cost = ((d * 13 + s * 5 + version * 7) % 41) / 7 + 0.000000001;
      return focusRow(day, {
        ProviderName: 'Microsoft',
        ServiceName: service,
        BilledCost: cost.toFixed(9),
        EffectiveCost: (cost * 0.9).toFixed(9),
        ListCost: (cost * 1.1).toFixed(9),
        BillingPeriodStart: `${day.slice(0, 7)}-01T00:00:00Z`,
        BillingPeriodEnd: `${day.slice(0, 7)}-28T00:00:00Z`,
      });
    }),
  );
}

describe('the days an export declares', () => {
  const manifest = (runInfo: Record<string, string>) =>
    JSON.stringify({
      exportConfig: { exportName: 'x', type: 'FocusCost' },
      runInfo: { submittedTime: '2026-09-16T06:00:00Z', ...runInfo },
      blobs: [{ blobName: 'a/part_0_0001.csv' }],
    });

  it('are read from an Azure manifest, the end day included', () => {
    expect(
      parseExportManifest(
        manifest({
          startDate: '2026-08-15T00:00:00',
          endDate: '2026-09-15T00:00:00',
        }),
      ).coverage,
    ).toEqual({ from: '2026-08-15', to: '2026-09-15' });
    expect(parseExportManifest(manifest({})).coverage).toBeUndefined();
  });

  it('are refused when they are not days', () => {
    expect(() =>
      parseExportManifest(
        manifest({ startDate: '2026-08-15', endDate: 'yesterday' }),
      ),
    ).toThrow(/runInfo startDate "2026-08-15" and endDate "yesterday"/);
    expect(() =>
      parseExportManifest(
        manifest({ startDate: '2026-09-15', endDate: '2026-08-15' }),
      ),
    ).toThrow(/the end not before the start/);
    for (const day of ['2026-13-01', '2026-02-30']) {
      expect(() =>
        parseExportManifest(manifest({ startDate: day, endDate: day })),
      ).toThrow(`runInfo startDate "${day}"`);
    }
  });

  it('replace whole the periods they cover whole, and days of the others', () => {
    const periods = [
      { billingAccountId: 'a', billingPeriodStart: '2026-08-01' },
      { billingAccountId: 'a', billingPeriodStart: '2026-09-01' },
    ];
    const rollups = rowsOf(['2026-08-16', '2026-09-03'], 0).map(r => ({
      billingAccountId: 'a',
      billingPeriodStart: `${String(r.ChargePeriodStart).slice(0, 7)}-01`,
      day: String(r.ChargePeriodStart).slice(0, 10),
    })) as any;
    expect(replacedPeriods(periods, rollups, undefined)).toEqual(periods);
    expect(
      replacedPeriods(periods, rollups, {
        from: '2026-08-01',
        to: '2026-09-30',
      }),
    ).toEqual(periods);
    expect(
      replacedPeriods(periods, rollups, {
        from: '2026-08-15',
        to: '2026-09-01',
      }),
    ).toEqual([
      { ...periods[0], days: { from: '2026-08-15', to: '2026-08-31' } },
      // A row the declaration leaves out replaces its day too, rather than adding to what is kept; the day between
      // (no row, not declared) is kept.
      { ...periods[1], days: { from: '2026-09-01', to: '2026-09-01' } },
      { ...periods[1], days: { from: '2026-09-03', to: '2026-09-03' } },
    ]);
  });
});

describe.each(databases.eachSupportedId())(
  'An export covering part of a billing period (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let dir: string;
    let inbox: string;

    beforeEach(async () => {
      store = await createTestStore(await databases.init(databaseId));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-partial-'));
      inbox = path.join(dir, 'inbox');
      fs.mkdirSync(inbox);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const scanner = (
      through: DatabaseCostStore = store,
      entities: Entity[] = testCatalogEntities,
    ) =>
      new CostSourceScanner({
        store: through,
        ingester: createTestIngester(through, createTestCatalog(entities)),
        urlReader: mockServices.urlReader.mock(),
        logger: mockServices.logger.mock(),
        settings: {
          folder: inbox,
          locations: [],
          queries: [],
          demoData: { enabled: false, days: 90, seed: 1 },
        },
      });

    /** The monthly runs of August and September. */
    async function monthlyRuns(root: string) {
      const august = await writeAzureRun({
        root,
        exportName: 'focus-monthly',
        period: '2026-08',
        runId: 'a0000000-0000-0000-0000-000000000008',
        submittedTime: '2026-09-02T06:00:00Z',
        parts: [rowsOf(daysBetween('2026-08-01', '2026-08-31'), 1)],
        format: 'csv',
      });
      const september = await writeAzureRun({
        root,
        exportName: 'focus-monthly',
        period: '2026-09',
        runId: 'a0000000-0000-0000-0000-000000000009',
        submittedTime: '2026-10-02T06:00:00Z',
        parts: [rowsOf(daysBetween('2026-09-01', '2026-09-30'), 2)],
        format: 'csv',
      });
      return { august, september };
    }

    /** Asserts what every stored table answers per day equals `expected`, and their totals its total. */
    async function expectStored(
      expected: Record<
        string,
        { billed: number; effective: number; list: number }
      >,
    ) {
      const measures = ['billedCost', 'effectiveCost', 'listCost'] as const;
      // The day totals, the per-entity days and the rollups, each read on its own.
      const answers = [
        await store.aggregate(RANGE, ['day'], [...measures]),
        await store.aggregate(
          { ...RANGE, entityRefs: [''] },
          ['day'],
          [...measures],
        ),
        await store.aggregate(
          { ...RANGE, serviceCategory: 'Compute' },
          ['day'],
          [...measures],
        ),
      ];
      for (const rows of answers) {
        const actual = Object.fromEntries(rows.map(r => [r.day!, r]));
        expect(Object.keys(actual).sort()).toEqual(
          Object.keys(expected).sort(),
        );
        for (const [day, e] of Object.entries(expected)) {
          expect(actual[day].billedCost).toBeCloseTo(e.billed, 9);
          expect(actual[day].effectiveCost).toBeCloseTo(e.effective, 9);
          expect(actual[day].listCost).toBeCloseTo(e.list, 9);
        }
      }
      const [total] = await store.aggregate(RANGE, [], ['billedCost']);
      const expectedTotal = Object.values(expected).reduce(
        (sum, e) => sum + e.billed,
        0,
      );
      expect(total.billedCost).toBeCloseTo(expectedTotal, 6);
    }

    it('a one-time export of 15 August to 15 September replaces those days only', async () => {
      const root = path.join(inbox, 'azure');
      const { august, september } = await monthlyRuns(root);
      expect((await scanner().scan()).map(r => r.status)).toEqual([
        'succeeded',
        'succeeded',
      ]);
      const oneTime = await writeAzureRun({
        root,
        exportName: 'focus-onetime',
        period: '2026-08',
        runId: 'b0000000-0000-0000-0000-000000000001',
        submittedTime: '2026-10-05T06:00:00Z',
        days: { from: '2026-08-15', to: '2026-09-15' },
        parts: [rowsOf(daysBetween('2026-08-15', '2026-09-15'), 3)],
        format: 'csv',
      });
      const [record] = await scanner().scan();
      expect(record.status).toBe('succeeded');
      expect(record.periods).toEqual([
        {
          billingAccountId: 'acct-1',
          billingPeriodStart: '2026-08-01',
          days: { from: '2026-08-15', to: '2026-08-31' },
        },
        {
          billingAccountId: 'acct-1',
          billingPeriodStart: '2026-09-01',
          days: { from: '2026-09-01', to: '2026-09-15' },
        },
      ]);
      // The monthly runs are not read again (unchanged), and keep the days the one-time export does not cover.
      expect(await scanner().scan()).toEqual([]);

      const monthly = {
        ...(await independentDailyTotals(august, 'csv')),
        ...(await independentDailyTotals(september, 'csv')),
      };
      const replaced = await independentDailyTotals(oneTime, 'csv');
      const expected = Object.fromEntries(
        daysBetween('2026-08-01', '2026-09-30').map(day => [
          day,
          day >= '2026-08-15' && day <= '2026-09-15'
            ? replaced[day]
            : monthly[day],
        ]),
      );
      expect(Object.values(expected).every(Boolean)).toBe(true);
      await expectStored(expected);
    });

    it('replaces the declared days and the days it has rows of, never the days between', async () => {
      const root = path.join(inbox, 'azure');
      const { august, september } = await monthlyRuns(root);
      await scanner().scan();
      // A one-time run of 15 to 31 August whose monthly support fee is charged from the 1st.
      const oneTime = await writeAzureRun({
        root,
        exportName: 'focus-onetime',
        period: '2026-08',
        runId: 'b0000000-0000-0000-0000-000000000002',
        submittedTime: '2026-10-05T06:00:00Z',
        days: { from: '2026-08-15', to: '2026-08-31' },
        parts: [
          [
            ...rowsOf(daysBetween('2026-08-15', '2026-08-31'), 3),
            focusRow('2026-08-01', {
              ProviderName: 'Microsoft',
              ChargeCategory: 'Purchase',
              ServiceName: 'Support',
              BilledCost: '5',
              EffectiveCost: '5',
              ListCost: '5',
              ChargePeriodEnd: '2026-09-01T00:00:00Z',
              BillingPeriodStart: '2026-08-01T00:00:00Z',
              BillingPeriodEnd: '2026-08-28T00:00:00Z',
            }),
          ],
        ],
        format: 'csv',
      });
      const [record] = await scanner().scan();
      expect(record.status).toBe('succeeded');
      expect(record.periods).toEqual([
        {
          billingAccountId: 'acct-1',
          billingPeriodStart: '2026-08-01',
          days: { from: '2026-08-01', to: '2026-08-01' },
        },
        {
          billingAccountId: 'acct-1',
          billingPeriodStart: '2026-08-01',
          days: { from: '2026-08-15', to: '2026-08-31' },
        },
      ]);
      const monthly = {
        ...(await independentDailyTotals(august, 'csv')),
        ...(await independentDailyTotals(september, 'csv')),
      };
      const replaced = await independentDailyTotals(oneTime, 'csv');
      // 2 to 14 August (and September) keep the monthly runs' figures.
      await expectStored(
        Object.fromEntries(
          daysBetween('2026-08-01', '2026-09-30').map(day => [
            day,
            day === '2026-08-01' || (day >= '2026-08-15' && day <= '2026-08-31')
              ? replaced[day]
              : monthly[day],
          ]),
        ),
      );
    });

    it('a later monthly run of September still replaces the whole month, removing the days it no longer has', async () => {
      const root = path.join(inbox, 'azure');
      const { august } = await monthlyRuns(root);
      await scanner().scan();
      await writeAzureRun({
        root,
        exportName: 'focus-onetime',
        period: '2026-08',
        runId: 'b0000000-0000-0000-0000-000000000001',
        submittedTime: '2026-10-05T06:00:00Z',
        days: { from: '2026-08-15', to: '2026-09-15' },
        parts: [rowsOf(daysBetween('2026-08-15', '2026-09-15'), 3)],
        format: 'csv',
      });
      await scanner().scan();
      // September restated: 20 days, the others no longer billed.
      const restated = await writeAzureRun({
        root,
        exportName: 'focus-monthly',
        period: '2026-09',
        runId: 'a0000000-0000-0000-0000-000000000010',
        submittedTime: '2026-10-20T06:00:00Z',
        parts: [rowsOf(daysBetween('2026-09-01', '2026-09-20'), 4)],
        format: 'csv',
      });
      const [record] = await scanner().scan();
      expect(record.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2026-09-01' },
      ]);
      const oneTime = await independentDailyTotals(
        fs
          .readdirSync(path.join(root, 'focus-onetime'), { recursive: true })
          .map(f => path.join(root, 'focus-onetime', String(f)))
          .filter(f => f.endsWith('.csv')),
        'csv',
      );
      const monthlyAugust = await independentDailyTotals(august, 'csv');
      const september = await independentDailyTotals(restated, 'csv');
      const expected = {
        ...Object.fromEntries(
          daysBetween('2026-08-01', '2026-08-31').map(day => [
            day,
            day >= '2026-08-15' ? oneTime[day] : monthlyAugust[day],
          ]),
        ),
        ...september,
      };
      expect(Object.keys(september)).toHaveLength(20);
      await expectStored(expected);
    });
    describe('an export folder written over in place (Azure OverwritePreviousReport)', () => {
      const august = (from: string, to: string, version: number) =>
        rowsOf(daysBetween(from, to), version);
      const ofAccount = (rows: TestFocusRow[], account: string) =>
        rows.map(row => ({ ...row, BillingAccountId: account }));

      /** Writes a run over the folder of `first` (the parts of an earlier run), as an export that overwrites does. */
      async function overwrite(
        first: string[],
        run: { days: { from: string; to: string }; parts: TestFocusRow[][] },
      ): Promise<string[]> {
        const scratch = fs.mkdtempSync(path.join(dir, 'next-'));
        const parts = await writeAzureRun({
          root: scratch,
          exportName: 'focus-overwrite',
          period: '2026-08',
          runId: 'c0000000-0000-0000-0000-000000000002',
          submittedTime: '2026-09-20T06:00:00Z',
          format: 'csv',
          ...run,
        });
        const target = path.dirname(first[0]);
        for (const name of fs.readdirSync(target)) {
          fs.rmSync(path.join(target, name));
        }
        const later = new Date(Date.now() + 60_000);
        for (const name of fs.readdirSync(path.dirname(parts[0]))) {
          const to = path.join(target, name);
          fs.copyFileSync(path.join(path.dirname(parts[0]), name), to);
          fs.utimesSync(to, later, later);
        }
        return parts.map(p => path.join(target, path.basename(p)));
      }

      /** The first run: two accounts, the days given. */
      async function firstRun(days?: { from: string; to: string }) {
        const { from, to } = days ?? { from: '2026-08-01', to: '2026-08-31' };
        const files = await writeAzureRun({
          root: path.join(inbox, 'azure'),
          exportName: 'focus-overwrite',
          period: '2026-08',
          runId: 'c0000000-0000-0000-0000-000000000001',
          submittedTime: '2026-09-15T06:00:00Z',
          ...(days ? { days } : {}),
          parts: [
            [
              ...ofAccount(august(from, to, 1), 'acct-1'),
              ...ofAccount(august(from, to, 2), 'acct-2'),
            ],
          ],
          format: 'csv',
        });
        // Kept aside: the folder is written over.
        const kept = path.join(dir, 'first.csv');
        fs.copyFileSync(files[0], kept);
        return { files, kept };
      }

      /** What the first run's days outside 15-31 August and the second run's 15-31 August sum to. */
      async function expectFirstThenSecond(kept: string, second: string[]) {
        const first = await independentDailyTotals([kept], 'csv');
        const replaced = await independentDailyTotals(second, 'csv');
        await expectStored(
          Object.fromEntries(
            Object.keys(first).map(day => [
              day,
              day >= '2026-08-15' ? replaced[day] : first[day],
            ]),
          ),
        );
      }

      it('a later run of other days without an account withdraws only those days of it', async () => {
        const { files, kept } = await firstRun({
          from: '2026-08-01',
          to: '2026-08-14',
        });
        expect((await scanner().scan()).map(r => r.status)).toEqual([
          'succeeded',
        ]);
        // Rewritten for 15 to 31 August, when acct-2 had no charges: it says nothing about acct-2's 1 to 14 August.
        const second = await overwrite(files, {
          days: { from: '2026-08-15', to: '2026-08-31' },
          parts: [ofAccount(august('2026-08-15', '2026-08-31', 3), 'acct-1')],
        });
        const [record] = await scanner().scan();
        expect([record.status, record.periods]).toEqual([
          'succeeded',
          [
            {
              billingAccountId: 'acct-1',
              billingPeriodStart: '2026-08-01',
              days: { from: '2026-08-15', to: '2026-08-31' },
            },
            {
              billingAccountId: 'acct-2',
              billingPeriodStart: '2026-08-01',
              days: { from: '2026-08-15', to: '2026-08-31' },
              withdrawn: true,
            },
          ],
        ]);
        await expectStored({
          ...(await independentDailyTotals([kept], 'csv')),
          ...(await independentDailyTotals(second, 'csv')),
        });
      });

      it('a backend stopped after storing a run leaves a record naming its periods, and the next run withdraws only its days', async () => {
        const { files, kept } = await firstRun();
        // The backend stops once the run's figures are stored, before its record is completed.
        const stopping = new Proxy(store, {
          get(target, property) {
            if (property === 'finishIngestion') {
              return async () => {
                throw new Error('the backend stopped');
              };
            }
            const value = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        await scanner(stopping)
          .scan()
          .catch(() => undefined);
        expect(
          await store.failInterruptedIngestions(
            new Date(Date.now() + 3_600_000),
          ),
        ).toBe(1);
        const [interrupted] = await store.listIngestions({ limit: 10 });
        expect([interrupted.status, interrupted.periods]).toEqual([
          'failed',
          [
            { billingAccountId: 'acct-1', billingPeriodStart: '2026-08-01' },
            { billingAccountId: 'acct-2', billingPeriodStart: '2026-08-01' },
          ],
        ]);

        const second = await overwrite(files, {
          days: { from: '2026-08-15', to: '2026-08-31' },
          parts: [ofAccount(august('2026-08-15', '2026-08-31', 3), 'acct-1')],
        });
        const [record] = await scanner().scan();
        expect(record.status).toBe('succeeded');
        expect(record.periods.filter(p => p.withdrawn)).toEqual([
          {
            billingAccountId: 'acct-2',
            billingPeriodStart: '2026-08-01',
            days: { from: '2026-08-15', to: '2026-08-31' },
            withdrawn: true,
          },
        ]);
        await expectFirstThenSecond(kept, second);
      });

      it('a later run of other days with no charges at all withdraws those days of every account', async () => {
        const { files, kept } = await firstRun();
        await scanner().scan();
        await overwrite(files, {
          days: { from: '2026-08-15', to: '2026-08-31' },
          parts: [[]],
        });
        const [record] = await scanner().scan();
        expect([record.status, record.rowCount, record.periods]).toEqual([
          'succeeded',
          0,
          ['acct-1', 'acct-2'].map(account => ({
            billingAccountId: account,
            billingPeriodStart: '2026-08-01',
            days: { from: '2026-08-15', to: '2026-08-31' },
            withdrawn: true,
          })),
        ]);
        const first = await independentDailyTotals([kept], 'csv');
        await expectStored(
          Object.fromEntries(
            Object.entries(first).filter(([day]) => day < '2026-08-15'),
          ),
        );
      });

      it('a file corrected in place withdraws the days of an account still its own in a month another export took over in part', async () => {
        const file = path.join(inbox, 'focus-2026-08.csv');
        const whole = (version: number) =>
          august('2026-08-01', '2026-08-31', version);
        await writeExportFile(
          file,
          [...ofAccount(whole(1), 'acct-1'), ...ofAccount(whole(2), 'acct-2')],
          'csv',
        );
        await scanner().scan();
        // A one-time export of 15 to 31 August restates acct-2: it now holds acct-2's August, 1 to 14 still the file's.
        const oneTime = await writeAzureRun({
          root: path.join(inbox, 'azure'),
          exportName: 'focus-onetime',
          period: '2026-08',
          runId: 'b0000000-0000-0000-0000-000000000003',
          submittedTime: '2026-09-20T06:00:00Z',
          days: { from: '2026-08-15', to: '2026-08-31' },
          parts: [ofAccount(august('2026-08-15', '2026-08-31', 3), 'acct-2')],
          format: 'csv',
        });
        await scanner().scan();
        // The file is corrected: acct-2's lines were acct-1's.
        await writeExportFile(
          file,
          [...ofAccount(whole(1), 'acct-1'), ...ofAccount(whole(2), 'acct-1')],
          'csv',
        );
        const later = new Date(Date.now() + 60_000);
        fs.utimesSync(file, later, later);
        const [record] = await scanner().scan();
        expect([record.status, record.periods]).toEqual([
          'succeeded',
          [
            { billingAccountId: 'acct-1', billingPeriodStart: '2026-08-01' },
            {
              billingAccountId: 'acct-2',
              billingPeriodStart: '2026-08-01',
              days: { from: '2026-08-01', to: '2026-08-14' },
              withdrawn: true,
            },
          ],
        ]);
        // The corrected file's lines and the one-time export's, summed independently.
        await expectStored(
          await independentDailyTotals([file, ...oneTime], 'csv'),
        );
      });

      it('a file read again only for new attribution rules keeps the days of an account another export took over in part', async () => {
        const file = path.join(inbox, 'focus-2026-08.csv');
        const whole = (version: number) =>
          august('2026-08-01', '2026-08-31', version);
        const accounts = [
          ...ofAccount(whole(1), 'acct-1'),
          ...ofAccount(whole(2), 'acct-2'),
        ];
        await writeExportFile(file, accounts, 'csv');
        await scanner().scan();
        const oneTime = await writeAzureRun({
          root: path.join(inbox, 'azure'),
          exportName: 'focus-onetime',
          period: '2026-08',
          runId: 'b0000000-0000-0000-0000-000000000004',
          submittedTime: '2026-09-20T06:00:00Z',
          days: { from: '2026-08-15', to: '2026-08-31' },
          parts: [ofAccount(august('2026-08-15', '2026-08-31', 3), 'acct-2')],
          format: 'csv',
        });
        await scanner().scan();
        // A catalog change (a new billing tag claim): the unchanged file is read again for the new rules.
        const again = await scanner(store, testCatalogAfterRuleChange).scan();
        const reread = again.find(
          r => r.location === 'inbox/focus-2026-08.csv',
        );
        expect([reread?.status, reread?.periods]).toEqual([
          'succeeded',
          [{ billingAccountId: 'acct-1', billingPeriodStart: '2026-08-01' }],
        ]);
        // acct-2: the file's 1 to 14 August, the one-time export's 15 to 31.
        const firstHalf = path.join(dir, 'first-half.csv');
        await writeExportFile(
          firstHalf,
          [
            ...ofAccount(whole(1), 'acct-1'),
            ...ofAccount(august('2026-08-01', '2026-08-14', 2), 'acct-2'),
          ],
          'csv',
        );
        await expectStored(
          await independentDailyTotals([firstHalf, ...oneTime], 'csv'),
        );
      });

      it('a later run of the whole month without an account withdraws all of it', async () => {
        const { files } = await firstRun({
          from: '2026-08-01',
          to: '2026-08-14',
        });
        await scanner().scan();
        const second = await overwrite(files, {
          days: { from: '2026-08-01', to: '2026-08-31' },
          parts: [ofAccount(august('2026-08-01', '2026-08-31', 3), 'acct-1')],
        });
        const [record] = await scanner().scan();
        expect(record.periods.filter(p => p.withdrawn)).toEqual([
          {
            billingAccountId: 'acct-2',
            billingPeriodStart: '2026-08-01',
            withdrawn: true,
          },
        ]);
        await expectStored(await independentDailyTotals(second, 'csv'));
      });
    });
  },
);
