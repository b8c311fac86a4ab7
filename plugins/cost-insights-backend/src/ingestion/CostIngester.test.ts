import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Knex } from 'knex';
import { FOCUS_REQUIRED_COLUMNS } from '@internal/plugin-cost-insights-common';
import { testCatalogEntities } from '../__testUtils__/catalogFixture';
import { focusCsv, focusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostIngester } from './CostIngester';

const SAMPLE = path.resolve(
  __dirname,
  '../../../../data/focus-sample/focus_sample_1000.csv',
);

/** Sums of the sample computed here, straight from its text, independently of the ingestion code. */
function independentSums(csv: string) {
  const rows: Record<string, string>[] = parse(csv, { columns: true });
  const num = (v: string) => (v === 'NULL' ? 0 : parseFloat(v));
  const sum = (
    pick: (r: Record<string, string>) => number,
    filter = (_r: Record<string, string>) => true,
  ) => rows.filter(filter).reduce((s, r) => s + pick(r), 0);
  const taggedBrightPath = (r: Record<string, string>) =>
    r.Tags !== 'NULL' && JSON.parse(r.Tags).application === 'BrightPathMatrix';
  return {
    rows: rows.length,
    billed: sum(r => num(r.BilledCost)),
    effective: sum(r => num(r.EffectiveCost)),
    list: sum(r => num(r.ListCost)),
    brightPathEffective: sum(r => num(r.EffectiveCost), taggedBrightPath),
    microsoftEffective: sum(
      r => num(r.EffectiveCost),
      r => r.ProviderName === 'Microsoft',
    ),
  };
}

const WHOLE_RANGE = { start: '2000-01-01', endExclusive: '2100-01-01' };

async function storedTotal(store: DatabaseCostStore, currency = 'USD') {
  const [row] = await store.aggregate(
    { ...WHOLE_RANGE, currency },
    [],
    ['billedCost', 'effectiveCost', 'listCost'],
  );
  return {
    billed: row?.billedCost ?? 0,
    effective: row?.effectiveCost ?? 0,
    list: row?.listCost ?? 0,
  };
}

const upload = (content: string | Buffer) => ({
  source: 'upload' as const,
  location: 'upload:test.csv',
  content: Readable.from([Buffer.from(content)]),
});

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())('CostIngester (%s)', databaseId => {
  let knex: Knex;
  let store: DatabaseCostStore;
  let ingester: CostIngester;
  const sample = fs.readFileSync(SAMPLE, 'utf8');
  const expected = independentSums(sample);

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await createTestStore(knex);
    ingester = createTestIngester(store);
  });

  it('ingests the real FOCUS sample and stores exactly its totals', async () => {
    const record = await ingester.ingest(upload(sample));
    expect(record).toMatchObject({
      status: 'succeeded',
      focusVersion: '1.0',
      rowCount: expected.rows,
      rejectedRowCount: 0,
    });
    expect(record.totals.USD.billed).toBeCloseTo(expected.billed, 8);
    expect(record.totals.USD.effective).toBeCloseTo(expected.effective, 8);
    const stored = await storedTotal(store);
    expect(stored.billed).toBeCloseTo(expected.billed, 8);
    expect(stored.effective).toBeCloseTo(expected.effective, 8);
    expect(stored.list).toBeCloseTo(expected.list, 8);
    // Three providers' accounts, one period each, except the AWS row billed in October.
    expect(record.periods).toHaveLength(4);

    // The rows tagged application=BrightPathMatrix belong to the entity whose annotation claims that tag.
    const [legacy] = await store.aggregate(
      {
        ...WHOLE_RANGE,
        currency: 'USD',
        entityRefs: ['component:default/lapse-report-legacy'],
      },
      [],
      ['effectiveCost'],
    );
    expect(legacy.effectiveCost).toBeCloseTo(expected.brightPathEffective, 8);
    // Nothing is dropped: what matches no entity is unattributed spend.
    const [unattributed] = await store.aggregate(
      { ...WHOLE_RANGE, currency: 'USD', entityRefs: [''] },
      [],
      ['effectiveCost'],
    );
    expect(unattributed.effectiveCost! + legacy.effectiveCost!).toBeCloseTo(
      expected.effective,
      8,
    );
    const byProvider = await store.aggregate(
      { ...WHOLE_RANGE, currency: 'USD' },
      ['provider'],
      ['effectiveCost'],
    );
    expect(
      byProvider.find(r => r.provider === 'Microsoft')!.effectiveCost,
    ).toBeCloseTo(expected.microsoftEffective, 8);
  });

  it('reads exports separated by semicolons or tabs, as spreadsheet exports in some locales are', async () => {
    const rows: string[][] = parse(sample, { relax_quotes: true });
    for (const separator of [';', '\t']) {
      const text = rows
        .map(row =>
          row
            .map(value =>
              value === 'NULL' ? value : `"${value.replace(/"/g, '""')}"`,
            )
            .join(separator),
        )
        .join('\r\n');
      const record = await ingester.ingest(upload(text));
      expect(record).toMatchObject({
        status: 'succeeded',
        rowCount: expected.rows,
      });
      expect(record.totals.USD.billed).toBeCloseTo(expected.billed, 8);
      expect(record.totals.USD.list).toBeCloseTo(expected.list, 8);
    }
  });

  it('replaces a billing period when it is ingested again, counting nothing twice', async () => {
    await ingester.ingest(upload(sample));
    const again = await ingester.ingest(upload(sample));
    expect(again.status).toBe('succeeded');
    const stored = await storedTotal(store);
    expect(stored.billed).toBeCloseTo(expected.billed, 8);
  });

  it('reads a gzip export like a plain one', async () => {
    const record = await ingester.ingest({
      ...upload(''),
      content: Readable.from([gzipSync(sample)]),
    });
    expect(record.status).toBe('succeeded');
    expect((await storedTotal(store)).billed).toBeCloseTo(expected.billed, 8);
  });

  it('ends correct when two ingestions of one period run at once', async () => {
    const first = focusCsv([focusRow('2026-10-03'), focusRow('2026-10-04')]);
    const second = focusCsv([
      focusRow('2026-10-03', { BilledCost: '5' }),
      focusRow('2026-10-05', { BilledCost: '7' }),
      focusRow('2026-10-06', { BilledCost: '1' }),
    ]);
    const results = await Promise.all([
      ingester.ingest(upload(first)),
      ingester.ingest(upload(second)),
      ingester.ingest(upload(first)),
    ]);
    expect(results.map(r => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    // Whichever committed last, the period holds exactly one file's rows.
    const billed = (await storedTotal(store)).billed;
    expect([20, 13]).toContainEqual(billed);
  });

  it('refuses a file with a malformed row, names row and column, and keeps what was stored', async () => {
    await ingester.ingest(upload(sample));
    const bad = focusCsv([
      focusRow('2024-09-02'),
      focusRow('2024-09-03', { BilledCost: 'twelve' }),
      focusRow('2024-09-04', { ChargeCategory: 'Refund' }),
      focusRow('2024-09-05', { ChargePeriodStart: '05/09/2024' }),
      focusRow('2024-09-06', { Tags: '{"team": ' }),
    ]);
    const record = await ingester.ingest(upload(bad));
    expect(record.status).toBe('rejected');
    expect(record.rejectedRowCount).toBe(4);
    expect(record.rejects).toEqual([
      {
        row: 3,
        column: 'BilledCost',
        reason: expect.stringContaining('"twelve" is not a number'),
      },
      {
        row: 4,
        column: 'ChargeCategory',
        reason:
          '"Refund" is not one of Usage, Purchase, Tax, Credit, Adjustment',
      },
      expect.objectContaining({ row: 5, column: 'ChargePeriodStart' }),
      expect.objectContaining({ row: 6, column: 'Tags' }),
    ]);
    expect(record.error).toContain('row 3, column BilledCost');
    expect((await storedTotal(store)).billed).toBeCloseTo(expected.billed, 8);
  });

  it('refuses a truncated file and a garbled one, storing nothing', async () => {
    await ingester.ingest(upload(sample));
    const truncated = sample.slice(
      0,
      sample.indexOf('"Amazon Simple Queue Service"') + 10,
    );
    const cut = await ingester.ingest(upload(truncated));
    expect(cut.status).toBe('rejected');
    expect(cut.error).toMatch(/Line \d+: the file is not valid CSV/);

    const garbled = Buffer.from(
      Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256),
    );
    const noise = await ingester.ingest(upload(garbled));
    expect(noise.status).toBe('rejected');

    const corruptGzip = gzipSync(sample).subarray(0, 2000);
    const gz = await ingester.ingest(upload(corruptGzip));
    expect(gz.status).toBe('rejected');

    expect((await storedTotal(store)).billed).toBeCloseTo(expected.billed, 8);
  });

  it('refuses a file missing mandatory columns, naming them', async () => {
    const record = await ingester.ingest(
      upload('BilledCost,BillingCurrency\n1,USD\n'),
    );
    expect(record.status).toBe('rejected');
    expect(record.error).toContain('missing columns BillingAccountId');
    expect(record.error).toContain('ServiceName');
  });

  it('accepts NULL, unknown extra columns and columns in any case', async () => {
    // Every mandatory column, the first in lower case, and one the specification does not know.
    const columns = [
      'billedcost',
      ...FOCUS_REQUIRED_COLUMNS.filter(c => c !== 'BilledCost'),
      'ProviderName',
      'x_CustomThing',
    ];
    const row = {
      ...focusRow('2026-01-02'),
      billedcost: '3',
      x_CustomThing: 'whatever',
    };
    const record = await ingester.ingest(upload(focusCsv([row], columns)));
    expect(record.status).toBe('succeeded');
    expect((await storedTotal(store)).billed).toBe(3);
  });

  it('attributes by annotation tag, by configured tag key, by sub-account, or leaves spend unattributed', async () => {
    const csv = focusCsv([
      focusRow('2026-10-01', {
        EffectiveCost: '1',
        Tags: '{"forge-project": "churn-model"}',
      }),
      focusRow('2026-10-01', {
        EffectiveCost: '2',
        Tags: '{" forge-entity ": "pricing-workspace"}',
      }),
      focusRow('2026-10-01', { EffectiveCost: '4', SubAccountId: 'ml-shared' }),
      focusRow('2026-10-01', {
        EffectiveCost: '8',
        Tags: '{"forge-entity": "no-such-thing"}',
      }),
    ]);
    expect((await ingester.ingest(upload(csv))).status).toBe('succeeded');
    const byEntity = await store.aggregate(
      { start: '2026-10-01', endExclusive: '2026-10-02', currency: 'USD' },
      ['entityRef'],
      ['effectiveCost'],
    );
    expect(
      Object.fromEntries(byEntity.map(r => [r.entityRef, r.effectiveCost])),
    ).toEqual({
      'component:default/churn-model': 1,
      'component:default/pricing-workspace': 2,
      'group:default/ml-platform': 4,
      '': 8,
    });
  });

  it('maps an Azure subscription to its group whatever the case of its ARM id, in the mapping or in the rows', async () => {
    const mapped = new CostIngester({
      store,
      catalog: createTestCatalog(),
      attribution: {
        tagKeys: [],
        subAccounts: [
          {
            id: '/subscriptions/AAAAAAAA-0000-0000-0000-000000000001',
            group: 'ml-platform',
          },
          { id: '5f0c1d2e-0000-0000-0000-00000000000b', group: 'pricing' },
        ],
      },
      gpuPattern: /GPU/i,
      logger: mockServices.logger.mock(),
    });
    const csv = focusCsv([
      focusRow('2026-10-01', {
        EffectiveCost: '1',
        SubAccountId: '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001',
      }),
      focusRow('2026-10-01', {
        EffectiveCost: '2',
        SubAccountId: '/SUBSCRIPTIONS/AAAAAAAA-0000-0000-0000-000000000001',
      }),
      focusRow('2026-10-01', {
        EffectiveCost: '4',
        SubAccountId: '5F0C1D2E-0000-0000-0000-00000000000B',
      }),
      // Other ids keep their case: Forge cannot know that they ignore it.
      focusRow('2026-10-01', { EffectiveCost: '8', SubAccountId: 'ML-SHARED' }),
    ]);
    expect((await mapped.ingest(upload(csv))).status).toBe('succeeded');
    const byEntity = await store.aggregate(
      { start: '2026-10-01', endExclusive: '2026-10-02', currency: 'USD' },
      ['entityRef'],
      ['effectiveCost'],
    );
    expect(
      Object.fromEntries(byEntity.map(r => [r.entityRef, r.effectiveCost])),
    ).toEqual({
      'group:default/ml-platform': 3,
      'group:default/pricing': 4,
      '': 8,
    });
  });

  it('leaves the lines of a tag claimed by entities of different owners unattributed, naming the claimants', async () => {
    const component = (name: string, owner: string, costTags: string) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: { 'forge.io/cost-tags': costTags },
      },
      spec: { type: 'service', lifecycle: 'production', owner },
    });
    const entities = [
      ...testCatalogEntities,
      // Another team's entity named to sort before churn-model, claiming its tag.
      component('a-churn-model', 'pricing', 'forge-project=churn-model'),
      // The same team's second claim of its own tag: the team keeps the spend.
      component('a-pricing-copy', 'pricing', 'forge-project=pricing-workspace'),
    ];
    const catalog = createTestCatalog(entities);
    const csv = focusCsv([
      focusRow('2026-10-01', {
        EffectiveCost: '1',
        Tags: '{"forge-project": "churn-model"}',
      }),
      // Not given to the sub-account's group either: the contested tag decides the line.
      focusRow('2026-10-01', {
        EffectiveCost: '2',
        Tags: '{"forge-project": "churn-model"}',
        SubAccountId: 'ml-shared',
      }),
      focusRow('2026-10-01', {
        EffectiveCost: '4',
        Tags: '{"forge-project": "pricing-workspace"}',
      }),
    ]);
    const claimed = createTestIngester(store, catalog);
    expect((await claimed.ingest(upload(csv))).status).toBe('succeeded');
    const byEntity = await store.aggregate(
      { start: '2026-10-01', endExclusive: '2026-10-02', currency: 'USD' },
      ['entityRef'],
      ['effectiveCost'],
    );
    expect(
      Object.fromEntries(byEntity.map(r => [r.entityRef, r.effectiveCost])),
    ).toEqual({ '': 3, 'component:default/a-pricing-copy': 4 });

    const { problems, contested } = (await catalog.snapshot()).costTags();
    expect(contested).toEqual([
      {
        tag: { key: 'forge-project', value: 'churn-model' },
        entityRefs: [
          'component:default/a-churn-model',
          'component:default/churn-model',
        ],
      },
    ]);
    for (const ref of [
      'component:default/a-churn-model',
      'component:default/churn-model',
    ]) {
      expect(problems).toContainEqual({
        entityRef: ref,
        message: expect.stringContaining(
          'forge-project=churn-model is claimed by component:default/a-churn-model, component:default/churn-model',
        ),
      });
    }
    expect((await claimed.attributor()).conflicts).toEqual([
      expect.stringContaining('forge-project=churn-model is claimed by'),
    ]);
  });

  it('keeps rollup totals equal to the sum of any valid rows (property)', async () => {
    const rowArb = fc.record({
      day: fc.integer({ min: 0, max: 59 }),
      billed: fc.integer({ min: -5000, max: 100000 }),
      effective: fc.integer({ min: 0, max: 100000 }),
      entity: fc.constantFrom('churn-model', 'pricing-workspace', 'other', ''),
      service: fc.constantFrom('Amazon EC2', 'Amazon S3', 'Azure ML'),
      category: fc.constantFrom(
        'Usage',
        'Credit',
        'Tax',
        'Purchase',
        'Adjustment',
      ),
      account: fc.constantFrom('acct-1', 'acct-2'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 60 }),
        async rows => {
          await knex('cost_daily_rollups').delete();
          await knex('cost_entity_daily').delete();
          await knex('cost_day_totals').delete();
          const focusRows = rows.map(r => {
            const day = new Date(Date.UTC(2025, 0, 1 + r.day))
              .toISOString()
              .slice(0, 10);
            return focusRow(day, {
              BillingAccountId: r.account,
              // cents, so the expected sums are exact
              BilledCost: (r.billed / 100).toFixed(2),
              EffectiveCost: (r.effective / 100).toFixed(2),
              ServiceName: r.service,
              ChargeCategory: r.category,
              Tags: r.entity
                ? JSON.stringify({ 'forge-project': r.entity })
                : 'NULL',
            });
          });
          const record = await ingester.ingest(upload(focusCsv(focusRows)));
          expect(record.status).toBe('succeeded');
          const expectBilled = rows.reduce((s, r) => s + r.billed, 0) / 100;
          const expectChurn =
            rows
              .filter(r => r.entity === 'churn-model')
              .reduce((s, r) => s + r.effective, 0) / 100;
          const stored = await storedTotal(store);
          expect(stored.billed).toBeCloseTo(expectBilled, 6);
          const [churn] = await store.aggregate(
            {
              ...WHOLE_RANGE,
              currency: 'USD',
              entityRefs: ['component:default/churn-model'],
            },
            [],
            ['effectiveCost'],
          );
          expect(churn?.effectiveCost ?? 0).toBeCloseTo(expectChurn, 6);
        },
      ),
      { numRuns: databaseId === 'SQLITE_3' ? 40 : 15 },
    );
    // Up to 40 whole ingestions, each starting its parser thread: longer than Jest's default 5 s on a busy machine.
  }, 60_000);
});
