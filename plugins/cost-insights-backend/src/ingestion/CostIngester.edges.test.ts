import { TestDatabases } from '@backstage/backend-test-utils';
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Knex } from 'knex';
import {
  focusCsv,
  focusRow,
  TEST_FOCUS_COLUMNS,
  TestFocusRow,
} from '../__testUtils__/focusCsv';
import {
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostIngester } from './CostIngester';
import { parquetFileSource } from './sources/parquetSource';

// The edges of what an export may hold (issue 12): billing periods in any notation, the number grammar, exact
// sums, the text encoding and field lengths. Every refused file leaves what was stored exactly as it was.

const WHOLE_RANGE = { start: '2000-01-01', endExclusive: '2100-01-01' };

const upload = (content: string | Buffer, encoding?: string) => ({
  source: 'upload' as const,
  location: 'upload:edges.csv',
  content: Readable.from([Buffer.from(content)]),
  encoding,
});

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())(
  'CostIngester at the edges (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseCostStore;
    let ingester: CostIngester;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await createTestStore(knex);
      ingester = createTestIngester(store);
    });

    async function billed(): Promise<number> {
      const [row] = await store.aggregate(
        { ...WHOLE_RANGE, currency: 'USD' },
        [],
        ['billedCost'],
      );
      return row?.billedCost ?? 0;
    }

    /** September 2024 of acct-1, written with the given period bounds. */
    const september = (start: string, end: string, extra: TestFocusRow = {}) =>
      focusCsv(
        ['2024-09-02', '2024-09-03'].map(day =>
          focusRow(day, {
            BilledCost: '7.49',
            BillingPeriodStart: start,
            BillingPeriodEnd: end,
            ...extra,
          }),
        ),
      );

    it('identifies a billing period as the provider means it, so a month re-ingested in another notation replaces it', async () => {
      const utc = await ingester.ingest(
        upload(september('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')),
      );
      expect(utc.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2024-09-01' },
      ]);
      expect(await billed()).toBe(14.98);
      for (const [start, end] of [
        ['2024-09-01T00:00:00+02:00', '2024-10-01T00:00:00+02:00'],
        ['2024-08-31T22:00:00Z', '2024-09-30T22:00:00Z'],
        ['2024-09-01', '2024-10-01'],
        ['2024-09-01 00:00:00', '2024-09-30 23:59:59'],
      ]) {
        const again = await ingester.ingest(upload(september(start, end)));
        expect(again.status).toBe('succeeded');
        expect(again.periods).toEqual(utc.periods);
        expect(await billed()).toBe(14.98);
      }
      expect(
        await knex('cost_billing_periods').select('billing_period_start'),
      ).toEqual([{ billing_period_start: '2024-09-01' }]);
    });

    it('keeps two signup-day periods apart, and counts month to date once in any zone notation', async () => {
      const period = (day: string, start: string, end: string) =>
        focusCsv([
          focusRow(day, {
            BilledCost: '7.49',
            BillingPeriodStart: start,
            BillingPeriodEnd: end,
          }),
        ]);
      const february = await ingester.ingest(
        upload(period('2023-03-01', '2023-02-16', '2023-03-16')),
      );
      const march = await ingester.ingest(
        upload(period('2023-03-20', '2023-03-16', '2023-04-16')),
      );
      expect([february.periods, march.periods]).toEqual([
        [{ billingAccountId: 'acct-1', billingPeriodStart: '2023-02-16' }],
        [{ billingAccountId: 'acct-1', billingPeriodStart: '2023-03-16' }],
      ]);
      expect(await billed()).toBe(14.98);

      const local = await ingester.ingest(
        upload(
          period(
            '2024-09-02',
            '2024-09-01T00:00:00+02:00',
            '2024-09-15T00:00:00+02:00',
          ),
        ),
      );
      const utc = await ingester.ingest(
        upload(
          period('2024-09-02', '2024-08-31T22:00:00Z', '2024-09-14T22:00:00Z'),
        ),
      );
      expect(utc.periods).toEqual(local.periods);
      expect(utc.periods).toEqual([
        { billingAccountId: 'acct-1', billingPeriodStart: '2024-09-01' },
      ]);
      expect(await billed()).toBe(22.47);
    });

    it('keys an Azure account by the shape of its id, whatever provider a row names, so a 1.2 restatement replaces a 1.3 month', async () => {
      const columns = [
        ...TEST_FOCUS_COLUMNS.filter(c => c !== 'ProviderName'),
        'ServiceProviderName',
        'ProviderName',
      ];
      const account = '/providers/Microsoft.Billing/billingAccounts/12345678';
      const rows = (focus13: boolean) =>
        ['Microsoft', 'Datadog'].map((vendor, i) =>
          focusRow(`2024-09-0${i + 2}`, {
            BilledCost: '7.49',
            BillingAccountId: account,
            BillingPeriodStart: '2024-09-01T00:00:00Z',
            BillingPeriodEnd: '2024-10-01T00:00:00Z',
            ServiceName: i === 0 ? 'Virtual Machines' : 'Datadog Pro',
            ProviderName: 'Microsoft',
            ...(focus13 ? { ServiceProviderName: vendor } : {}),
          }),
        );
      const focus13 = await ingester.ingest(
        upload(focusCsv(rows(true), columns)),
      );
      expect(focus13.status).toBe('succeeded');
      const key = [
        {
          billingAccountId:
            '/providers/microsoft.billing/billingaccounts/12345678',
          billingPeriodStart: '2024-09-01',
        },
      ];
      expect(focus13.periods).toEqual(key);
      expect(await billed()).toBe(14.98);
      const focus12 = await ingester.ingest(upload(focusCsv(rows(false))));
      expect(focus12.periods).toEqual(key);
      expect(await billed()).toBe(14.98);
      // Any case of an ARM id, and an id holding a GUID, whatever the provider.
      const again = await ingester.ingest(
        upload(
          focusCsv(
            rows(false).map(r => ({
              ...r,
              ProviderName: 'Datadog',
              BillingAccountId: account.toUpperCase(),
            })),
          ),
        ),
      );
      expect(again.periods).toEqual(key);
      expect(await billed()).toBe(14.98);
    });

    it.each(['1.23457E+11', '1.23457e11', '123456789012.0'])(
      'refuses the BillingAccountId %p a spreadsheet rewrote, with its row, and keeps what was stored',
      async value => {
        await ingester.ingest(
          upload(september('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')),
        );
        const record = await ingester.ingest(
          upload(
            focusCsv([
              focusRow('2024-09-02'),
              focusRow('2024-09-03', { BillingAccountId: value }),
            ]),
          ),
        );
        expect(record.status).toBe('rejected');
        expect(record.rejects).toEqual([
          {
            row: 3,
            column: 'BillingAccountId',
            reason: expect.stringMatching(
              /not an account id|rewritten as a decimal number/,
            ),
          },
        ]);
        expect(await billed()).toBe(14.98);
      },
    );

    it.each([
      ['0x1A', 'is not a number'],
      ['Infinity', 'is not a number'],
      ['NaN', 'is not a number'],
      ['+5', 'is not a number'],
      ['1,5', 'is not a number'],
      ['1e999', 'is too large'],
      ['1.7e308', 'is too large'],
    ])(
      'refuses the cost %p with its row and column and keeps what was stored',
      async (value, reason) => {
        await ingester.ingest(
          upload(september('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')),
        );
        const record = await ingester.ingest(
          upload(
            focusCsv([
              focusRow('2024-09-02'),
              focusRow('2024-09-03', { BilledCost: value }),
            ]),
          ),
        );
        expect(record.status).toBe('rejected');
        expect(record.rejects).toEqual([
          {
            row: 3,
            column: 'BilledCost',
            reason: expect.stringContaining(reason),
          },
        ]);
        expect(await billed()).toBe(14.98);
      },
    );

    it('refuses two rows of 1.7e308 instead of summing them to infinity, and answers a finite total', async () => {
      const record = await ingester.ingest(
        upload(
          focusCsv([
            focusRow('2024-09-02', { BilledCost: '1.7e308' }),
            focusRow('2024-09-03', { BilledCost: '1.7e308' }),
          ]),
        ),
      );
      expect(record.status).toBe('rejected');
      expect(record.rejectedRowCount).toBe(2);
      expect(record.error).toContain('row 2, column BilledCost');
      expect(await billed()).toBe(0);
    });

    it('refuses sums beyond what it adds exactly, naming the row', async () => {
      const big = '900000000000000'; // 9e14: ten of them reach 9e15
      const record = await ingester.ingest(
        upload(
          focusCsv(
            Array.from({ length: 11 }, () =>
              focusRow('2024-09-02', { BilledCost: big }),
            ),
          ),
        ),
      );
      expect(record.status).toBe('rejected');
      expect(record.rejects[0]).toEqual({
        row: 11,
        reason: expect.stringContaining('beyond what Forge sums exactly'),
      });
    });

    it.each([
      ['ten services of one row each', 10, 1],
      ['two services of nine rows each', 2, 9],
    ])(
      'refuses an entity day that sums past what it adds exactly, though the file total does not (%s)',
      async (_, services, rowsPerService) => {
        const big = '999999999999999'; // below 1e15, the largest amount; ten of them pass 9e15
        const row = (service: string, cost: string, entity?: string) =>
          focusRow('2024-09-02', {
            ServiceName: service,
            BilledCost: cost,
            EffectiveCost: cost,
            ListCost: cost,
            Tags: entity ? JSON.stringify({ 'forge-entity': entity }) : 'NULL',
          });
        // Credits of unattributed spend interleaved keep the file's running total near zero.
        const rows = Array.from({ length: services }, (__, s) =>
          Array.from({ length: rowsPerService }, () => [
            row(`Service ${s}`, big, 'feature-store'),
            row(`Service ${s}`, `-${big}`),
          ]).flat(),
        ).flat();
        const record = await ingester.ingest(upload(focusCsv(rows)));
        expect(record.status).toBe('rejected');
        expect(record.error).toContain('beyond what Forge sums exactly');
        expect(await billed()).toBe(0);
      },
    );

    it('sums amounts exactly, in the ingestion and in the answers', async () => {
      // 0.1 and 0.2 on different days: separate rollups the database adds up.
      const rows = [
        focusRow('2024-09-02', { BilledCost: '0.1', EffectiveCost: '0.1' }),
        focusRow('2024-09-03', { BilledCost: '0.2', EffectiveCost: '0.2' }),
        focusRow('2024-09-03', { BilledCost: '0.1', EffectiveCost: '0.1' }),
        focusRow('2024-09-03', {
          BilledCost: '0.00000000001',
          EffectiveCost: '-0.00000000001',
        }),
      ];
      const record = await ingester.ingest(upload(focusCsv(rows)));
      expect(record.totals.USD.billed).toBe(0.40000000001);
      expect(record.totals.USD.effective).toBe(0.39999999999);
      const [sum] = await store.aggregate(
        { ...WHOLE_RANGE, currency: 'USD' },
        [],
        ['billedCost', 'effectiveCost'],
      );
      expect(sum).toEqual({
        billedCost: 0.40000000001,
        effectiveCost: 0.39999999999,
      });
      const [entities] = await store.aggregate(
        { ...WHOLE_RANGE, currency: 'USD', entityRefs: [''] },
        [],
        ['effectiveCost'],
      );
      expect(entities.effectiveCost).toBe(0.39999999999);
    });

    it('refuses text that is not UTF-8 with its line, storing nothing and no U+FFFD', async () => {
      await ingester.ingest(
        upload(september('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')),
      );
      const text = focusCsv([
        focusRow('2024-09-02'),
        focusRow('2024-09-03'),
        focusRow('2024-09-04', { ServiceName: 'Café' }),
      ]);
      const latin1 = Buffer.from(text, 'latin1');
      const record = await ingester.ingest(upload(latin1));
      expect(record.status).toBe('rejected');
      expect(record.error).toMatch(/^Line 4: the text is not UTF-8/);
      expect(record.rejects).toEqual([
        { row: 4, reason: expect.stringContaining('not UTF-8') },
      ]);
      expect(await billed()).toBe(14.98);
      const services = await knex('cost_daily_rollups').pluck('service_name');
      expect(services.some((s: string) => s.includes('\uFFFD'))).toBe(false);

      // Declared, the same bytes are transcoded.
      const declared = await ingester.ingest(upload(latin1, 'windows-1252'));
      expect(declared.status).toBe('succeeded');
      expect(
        await knex('cost_daily_rollups')
          .where({ service_name: 'Café' })
          .first(),
      ).toBeTruthy();
    });

    it('refuses Parquet text that is not UTF-8 with its row, storing nothing and no U+FFFD', async () => {
      await ingester.ingest(
        upload(september('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')),
      );
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-parquet-'));
      try {
        const file = path.join(dir, 'latin1.parquet');
        const csv = path.join(dir, 'rows.csv');
        fs.writeFileSync(
          csv,
          focusCsv(
            ['2024-09-02', '2024-09-03', '2024-09-04'].map(day =>
              focusRow(day, { BilledCost: '1' }),
            ),
          ),
        );
        // ServiceName as bytes (a Parquet BYTE_ARRAY): Latin-1 'Café' on the third row. DuckDB writes it; hyparquet
        // decodes such a column as text.
        const columns = TEST_FOCUS_COLUMNS.map(c =>
          c === 'ServiceName'
            ? `CASE WHEN "ChargePeriodStart" LIKE '2024-09-04%' THEN 'Caf\\xE9'::BLOB ELSE CAST("ServiceName" AS BLOB) END AS "ServiceName"`
            : `"${c}"`,
        );
        const instance = await DuckDBInstance.create(':memory:');
        const connection = await instance.connect();
        await connection.run(
          `COPY (SELECT ${columns.join(
            ', ',
          )} FROM read_csv('${csv}', all_varchar = true, header = true)) TO '${file}' (FORMAT parquet)`,
        );
        connection.closeSync();
        instance.closeSync();

        const record = await ingester.ingest({
          source: 'folder',
          location: file,
          content: parquetFileSource(file),
        });
        expect(record.status).toBe('rejected');
        expect(record.rejects).toEqual([
          {
            row: 3,
            reason: expect.stringMatching(
              /^the text of column ServiceName is not UTF-8 \(read as Latin-1: "Café"\)/,
            ),
          },
        ]);
        expect(await billed()).toBe(14.98);
        const services = await knex('cost_daily_rollups').pluck('service_name');
        expect(services.some((t: string) => t.includes('\uFFFD'))).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a 10 MB ServiceName naming row and column, and keeps what was stored', async () => {
      await ingester.ingest(
        upload(september('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')),
      );
      const record = await ingester.ingest(
        upload(
          focusCsv([
            focusRow('2024-09-02'),
            focusRow('2024-09-03', {
              ServiceName: 'S'.repeat(10 * 1024 * 1024),
            }),
          ]),
        ),
      );
      expect(record.status).toBe('rejected');
      expect(record.rejects).toEqual([
        {
          row: 3,
          column: 'ServiceName',
          reason:
            'is 10,485,760 characters long; Forge accepts at most 255 in this column',
        },
      ]);
      expect(record.error!.length).toBeLessThan(1000);
      expect(await billed()).toBe(14.98);
    });

    it('reads FOCUS 1.4 (ServiceProviderName, no ProviderName) and attributes split cost allocations by AllocatedTags', async () => {
      const columns = [
        'BilledCost',
        'BillingAccountId',
        'BillingCurrency',
        'BillingPeriodStart',
        'BillingPeriodEnd',
        'ChargeCategory',
        'ChargePeriodStart',
        'ChargePeriodEnd',
        'EffectiveCost',
        'ListCost',
        'ServiceCategory',
        'ServiceName',
        'ServiceProviderName',
        'HostProviderName',
        'Tags',
        'AllocatedMethodId',
        'AllocatedResourceId',
        'AllocatedTags',
      ];
      const node = {
        ServiceProviderName: 'AWS',
        HostProviderName: 'AWS',
        Tags: '{"cluster": "prod"}',
      };
      const record = await ingester.ingest(
        upload(
          focusCsv(
            [
              focusRow('2026-10-01', { ...node, EffectiveCost: '6' }),
              focusRow('2026-10-01', {
                ...node,
                EffectiveCost: '3',
                AllocatedMethodId: 'aws-split-cost-allocation',
                AllocatedResourceId: 'pod/churn-model-7d9',
                AllocatedTags: '{"forge-project": "churn-model"}',
              }),
            ],
            columns,
          ),
        ),
      );
      expect(record).toMatchObject({
        status: 'succeeded',
        focusVersion: '1.4',
      });
      const byEntity = await store.aggregate(
        { start: '2026-10-01', endExclusive: '2026-10-02', currency: 'USD' },
        ['entityRef', 'provider'],
        ['effectiveCost'],
      );
      expect(byEntity).toEqual(
        expect.arrayContaining([
          { entityRef: '', provider: 'AWS', effectiveCost: 6 },
          {
            entityRef: 'component:default/churn-model',
            provider: 'AWS',
            effectiveCost: 3,
          },
        ]),
      );
    });

    it('refuses a FOCUS Contract Commitment dataset with a message saying which dataset it ingests', async () => {
      const record = await ingester.ingest(
        upload(
          'ContractCommitmentId,ContractCommitmentCategory,ContractCommitmentPeriodStart,ContractCommitmentPeriodEnd\nc-1,Spend,2026-01-01,2027-01-01\n',
        ),
      );
      expect(record.status).toBe('rejected');
      expect(record.error).toContain('Contract Commitment dataset');
    });
  },
);
