import { TestDatabases } from '@backstage/backend-test-utils';
import { createTestStore } from '../__testUtils__/testStore';
import { DailyCostRollup, IngestionLeaseLostError } from './CostStore';
import { DatabaseCostStore } from './DatabaseCostStore';

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

const ENTITIES = Array.from(
  { length: 300 },
  (_, i) => `component:default/svc-${i}`,
);
const DAYS = ['2026-09-29', '2026-09-30', '2026-10-01', '2026-10-02'];

/** Deterministic, uneven costs with decimals: two accounts, two services, some unattributed spend. */
function rollups(version: number): DailyCostRollup[] {
  const out: DailyCostRollup[] = [];
  for (const day of DAYS) {
    for (const account of ['acct-1', 'acct-2']) {
      for (const [i, entityRef] of [...ENTITIES, ''].entries()) {
        if ((i + day.length + account.length) % 7 === 0) continue; // not every entity every day
        for (const service of ['EC2', 'S3']) {
          const cost =
            ((i * 37 + Number(day.slice(-2)) * 11 + service.length) % 97) / 7 +
            version;
          out.push({
            day,
            billingAccountId: account,
            billingPeriodStart: `${day.slice(0, 7)}-01`,
            entityRef,
            provider: 'AWS',
            serviceCategory: 'Compute',
            serviceName: service,
            region: 'eu-west-1',
            subAccountId: 'sub-1',
            subAccountName: 'Sub 1',
            chargeCategory: 'Usage',
            currency: 'EUR',
            consumedUnit: 'Hours',
            billedCost: cost,
            effectiveCost: cost * 0.9,
            listCost: cost * 1.1,
            consumedQuantity: 1,
            gpuCost: 0,
            gpuHours: 0,
            gpuIdleCost: 0,
            rowCount: 1,
          });
        }
      }
    }
  }
  return out;
}

/** The expected answer, summed here from the rows themselves. */
function expectedDaily(rows: DailyCostRollup[], refs?: string[]) {
  const wanted = refs ? new Set(refs) : undefined;
  const sums = new Map<string, number>();
  for (const r of rows) {
    if (wanted && !wanted.has(r.entityRef)) continue;
    sums.set(r.day, (sums.get(r.day) ?? 0) + r.effectiveCost);
  }
  return sums;
}

async function store(
  databaseId: Parameters<typeof databases.init>[0],
  rows: DailyCostRollup[],
) {
  const s = await createTestStore(await databases.init(databaseId));
  await load(s, rows);
  return s;
}

async function load(s: DatabaseCostStore, rows: DailyCostRollup[]) {
  const id = (await s.startIngestion({
    source: 'upload',
    location: 'test',
    lease: { owner: 'test', expiresAt: new Date(Date.now() + 60_000) },
  }))!;
  const periods = [
    ...new Map(
      rows.map(r => [
        `${r.billingAccountId}/${r.billingPeriodStart}`,
        {
          billingAccountId: r.billingAccountId,
          billingPeriodStart: r.billingPeriodStart,
        },
      ]),
    ).values(),
  ];
  await s.replaceBillingPeriods(id, periods, rows);
}

describe.each(databases.eachSupportedId())(
  'DatabaseCostStore.aggregate (%s)',
  databaseId => {
    const filter = {
      start: '2026-09-29',
      endExclusive: '2026-10-03',
      currency: 'EUR',
    };
    const daily = async (s: DatabaseCostStore, entityRefs?: string[]) =>
      new Map(
        (
          await s.aggregate(
            { ...filter, entityRefs },
            ['day'],
            ['effectiveCost'],
          )
        ).map(r => [r.day!, r.effectiveCost!]),
      );
    const expectClose = (
      actual: Map<string, number>,
      expected: Map<string, number>,
    ) => {
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [day, value] of expected)
        expect(actual.get(day)).toBeCloseTo(value, 6);
    };

    it('answers a small group, most of the organisation and all of it with the sums of their rows', async () => {
      const rows = rollups(0);
      const s = await store(databaseId, rows);
      const small = ENTITIES.slice(0, 50);
      const most = ENTITIES.slice(0, 280); // the day totals minus 20 entities and the unattributed spend
      const everyEntity = ENTITIES; // the day totals minus the unattributed spend
      expectClose(await daily(s, small), expectedDaily(rows, small));
      expectClose(await daily(s, most), expectedDaily(rows, most));
      expectClose(
        await daily(s, everyEntity),
        expectedDaily(rows, everyEntity),
      );
      expectClose(await daily(s, [...ENTITIES, '']), expectedDaily(rows));
      expectClose(await daily(s), expectedDaily(rows));
      // Refs that never had cost change nothing.
      expectClose(
        await daily(s, [...most, 'component:default/never-billed']),
        expectedDaily(rows, most),
      );
      // The total over the range, without days.
      const [total] = await s.aggregate(
        { ...filter, entityRefs: most },
        [],
        ['effectiveCost', 'billedCost'],
      );
      const rowsOfMost = rows.filter(r => most.includes(r.entityRef));
      expect(total.effectiveCost).toBeCloseTo(
        rowsOfMost.reduce((sum, r) => sum + r.effectiveCost, 0),
        6,
      );
      expect(total.billedCost).toBeCloseTo(
        rowsOfMost.reduce((sum, r) => sum + r.billedCost, 0),
        6,
      );
    });

    it('keeps the day totals in step when a billing period is ingested again', async () => {
      const s = await store(databaseId, rollups(0));
      // acct-2's October, again, with other figures: only its rows change.
      const again = rollups(5).filter(
        r => r.billingAccountId === 'acct-2' && r.day >= '2026-10-01',
      );
      await load(s, again);
      const now = [
        ...rollups(0).filter(
          r => !(r.billingAccountId === 'acct-2' && r.day >= '2026-10-01'),
        ),
        ...again,
      ];
      const most = ENTITIES.slice(10);
      const organisation = await daily(s);
      expect(organisation.get('2026-10-02')).not.toBeCloseTo(
        expectedDaily(rollups(0)).get('2026-10-02')!,
        0,
      );
      expectClose(organisation, expectedDaily(now));
      expectClose(await daily(s, most), expectedDaily(now, most));
    });

    it('replaces only the given days of a period replaced in part, and refuses rows outside them', async () => {
      const s = await store(databaseId, rollups(0));
      // acct-1's 2 October, again, with other figures: its 1 October and acct-2 keep theirs.
      const again = rollups(5).filter(
        r => r.billingAccountId === 'acct-1' && r.day === '2026-10-02',
      );
      const id = (await s.startIngestion({
        source: 'upload',
        location: 'part',
        lease: { owner: 'test', expiresAt: new Date(Date.now() + 60_000) },
      }))!;
      const october = {
        billingAccountId: 'acct-1',
        billingPeriodStart: '2026-10-01',
      };
      await expect(
        s.replaceBillingPeriods(
          id,
          [{ ...october, days: { from: '2026-10-02', to: '2026-10-02' } }],
          rollups(5).filter(
            r => r.billingAccountId === 'acct-1' && r.day >= '2026-10-01',
          ),
        ),
      ).rejects.toThrow(
        'A rollup of 2026-10-01 (account acct-1, period 2026-10-01) lies outside the days 2026-10-02..2026-10-02 the ingestion replaces',
      );
      expectClose(await daily(s), expectedDaily(rollups(0)));
      await s.replaceBillingPeriods(
        id,
        [{ ...october, days: { from: '2026-10-02', to: '2026-10-02' } }],
        again,
      );
      const now = [
        ...rollups(0).filter(
          r => !(r.billingAccountId === 'acct-1' && r.day === '2026-10-02'),
        ),
        ...again,
      ];
      expectClose(await daily(s), expectedDaily(now));
      expectClose(await daily(s, ENTITIES), expectedDaily(now, ENTITIES));
      const small = ENTITIES.slice(0, 50);
      expectClose(await daily(s, small), expectedDaily(now, small));
    });

    it('leaves out days on which the entities asked about had no cost', async () => {
      const rows = rollups(0).filter(
        r => r.entityRef === '' || r.day !== '2026-10-02',
      );
      const s = await store(databaseId, rows);
      const result = await daily(s, ENTITIES);
      expect(result.has('2026-10-02')).toBe(false);
      expectClose(result, expectedDaily(rows, ENTITIES));
    });
  },
);

describe('DatabaseCostStore loads on SQLite', () => {
  it('writes a load with a larger page cache and sets the connection back afterwards', async () => {
    const knex = await databases.init('SQLITE_3');
    const s = await createTestStore(knex);
    const cacheSize = async () =>
      Number((await knex.raw('PRAGMA cache_size'))[0].cache_size);
    const before = await cacheSize();
    await load(s, rollups(0));
    expect(await cacheSize()).toBe(before);
    const [{ n }] = await knex('cost_daily_rollups').count({ n: '*' });
    expect(Number(n)).toBe(rollups(0).length);
  });
});

// Row locks are PostgreSQL's (SQLite runs one write transaction at a time); CI always has a PostgreSQL.
const postgres = databases
  .eachSupportedId()
  .filter(([databaseId]) => databaseId.startsWith('POSTGRES'));
(postgres.length > 0
  ? describe.each(postgres)
  : describe.skip.each([['POSTGRES_15' as const]]))(
  'Concurrent deliveries of one billing period (%s)',
  databaseId => {
    const lease = () => ({
      owner: 'test',
      expiresAt: new Date(Date.now() + 60_000),
    });
    const october = {
      billingAccountId: 'acct-1',
      billingPeriodStart: '2026-10-01',
    };
    const octoberRows = (version: number) =>
      rollups(version).filter(
        r =>
          r.billingAccountId === 'acct-1' &&
          r.billingPeriodStart === '2026-10-01',
      );
    const finished = (contentHash: string) => ({
      status: 'succeeded' as const,
      contentHash,
      rowCount: 1,
      rejectedRowCount: 0,
      rejects: [],
      totals: {},
      periods: [october],
      rollupCount: 1,
    });
    const octoberRow = {
      billing_account_id: 'acct-1',
      billing_period_start: '2026-10-01',
    };
    const settled = (promise: Promise<unknown>) =>
      Promise.race([
        promise.then(() => true),
        new Promise(resolve => setTimeout(() => resolve(false), 300)),
      ]);

    it('a restatement that commits while a source is read again for new rules is kept', async () => {
      const knex = await databases.init(databaseId);
      const s = await createTestStore(knex);
      // The inbox file delivered October first.
      const first = (await s.startIngestion({
        source: 'folder',
        location: 'inbox/focus.csv',
        lease: lease(),
      }))!;
      await s.replaceBillingPeriods(first, [october], octoberRows(0), {
        contentHash: 'h1',
      });
      await s.finishIngestion(first, finished('h1'));

      // Something holds October's row a moment (another load), while an upload restating October and then the inbox
      // file, read again unchanged for new attribution rules, come in that order.
      const holding = await knex.transaction();
      let restating: Promise<unknown> | undefined;
      let rereading: Promise<unknown> | undefined;
      try {
        await holding('cost_billing_periods').where(octoberRow).forUpdate();
        const upload = (await s.startIngestion({
          source: 'upload',
          location: 'upload:restated.csv',
          lease: lease(),
        }))!;
        restating = s
          .replaceBillingPeriods(upload, [october], octoberRows(7))
          .then(() => upload);
        expect(await settled(restating)).toBe(false);
        const again = (await s.startIngestion({
          source: 'folder',
          location: 'inbox/focus.csv',
          lease: lease(),
        }))!;
        rereading = s.replaceBillingPeriods(again, [october], octoberRows(0), {
          contentHash: 'h1',
        });
        expect(await settled(rereading)).toBe(false);
      } finally {
        await holding.commit();
      }
      const upload = await restating;
      // The re-read found the restatement holding October once its lock was free: it replaces nothing.
      expect(await rereading).toEqual([]);
      expect(
        (await knex('cost_billing_periods').where(octoberRow).first())
          .ingestion_id,
      ).toBe(upload);
      const [stored] = await s.aggregate(
        {
          start: '2026-10-01',
          endExclusive: '2026-11-01',
          currency: 'EUR',
        },
        [],
        ['effectiveCost'],
      );
      expect(stored.effectiveCost).toBeCloseTo(
        octoberRows(7).reduce((sum, r) => sum + r.effectiveCost, 0),
        6,
      );
    });
  },
);

describe.each(databases.eachSupportedId())(
  'An ingestion that lost its lease (%s)',
  databaseId => {
    it('stores nothing and cannot mark its record succeeded once it was failed as interrupted', async () => {
      const s = await createTestStore(await databases.init(databaseId));
      const lease = {
        owner: 'stalled-replica',
        expiresAt: new Date(Date.now() + 60_000),
      };
      const id = (await s.startIngestion({
        source: 'folder',
        location: 'inbox/focus.csv',
        lease,
      }))!;
      // The process stalls past its lease; another replica fails the record and takes the source over.
      expect(
        await s.failInterruptedIngestions(new Date(Date.now() + 120_000)),
      ).toBe(1);
      const october = {
        billingAccountId: 'acct-1',
        billingPeriodStart: '2026-10-01',
      };
      await expect(
        s.replaceBillingPeriods(
          id,
          [october],
          rollups(0).filter(
            r =>
              r.billingAccountId === 'acct-1' &&
              r.billingPeriodStart === '2026-10-01',
          ),
          { lease },
        ),
      ).rejects.toThrow(IngestionLeaseLostError);
      const [stored] = await s.aggregate(
        { start: '2026-09-01', endExclusive: '2026-11-01', currency: 'EUR' },
        [],
        ['effectiveCost'],
      );
      expect(stored?.effectiveCost ?? 0).toBe(0);
      expect(
        await s.finishIngestion(
          id,
          {
            status: 'succeeded',
            rowCount: 1,
            rejectedRowCount: 0,
            rejects: [],
            totals: {},
            periods: [october],
            rollupCount: 1,
          },
          lease,
        ),
      ).toBe(false);
      expect((await s.getIngestion(id))?.status).toBe('failed');
    });
  },
);
