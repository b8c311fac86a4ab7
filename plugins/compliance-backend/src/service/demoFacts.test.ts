import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { DatabaseComplianceStore } from '../database/DatabaseComplianceStore';
import { InMemoryCatalog, REPO_ROOT } from '../__testUtils__/catalog';
import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { parseAllDocuments } from 'yaml';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';
import { DemoHistory, seedDemoFacts } from './demoFacts';
import { HistoryKeys } from './historyKeys';

/** The demo catalog with Forge's own packages (the repository's catalog-info.yaml), as the portal reads it. */
const withForgePackages = (catalog: InMemoryCatalog) => {
  const forge = parseAllDocuments(
    fs.readFileSync(path.join(REPO_ROOT, 'catalog-info.yaml'), 'utf8'),
  ).map(d => d.toJS() as Entity);
  for (const entity of forge) {
    entity.metadata.namespace ??= 'default';
    entity.metadata.etag = 'v1';
  }
  catalog.entities.push(...forge);
};

describe.each(testDatabases.eachSupportedId())(
  'seedDemoFacts (%s)',
  databaseId => {
    let knex: Knex;
    afterEach(() => knex.destroy());

    it('loads the demo facts once, relative to now, and never over real ones', async () => {
      knex = await testDatabases.init(databaseId);
      const store = await DatabaseComplianceStore.fromKnex(knex);
      const now = new Date('2026-11-26T10:00:00Z');
      const file = path.join(REPO_ROOT, 'catalog/demo/facts.yaml');
      expect(await seedDemoFacts(store, file, now)).toBeGreaterThan(10);
      const churn = (
        await store.listFacts(['component:default/churn-model'])
      ).get('component:default/churn-model')!;
      expect(churn.find(f => f.name === 'dependency-scan')?.collectedAt).toBe(
        '2026-11-25T10:00:00.000Z',
      );
      expect(await seedDemoFacts(store, file, now)).toBe(0);
    });

    it('names the broken entry of an invalid file', async () => {
      knex = await testDatabases.init(databaseId);
      const store = await DatabaseComplianceStore.fromKnex(knex);
      const file = path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), 'forge-facts-')),
        'facts.yaml',
      );
      fs.writeFileSync(file, '- entity: churn-model\n  facts: []\n');
      await expect(seedDemoFacts(store, file, new Date())).rejects.toThrow(
        /at 0\.entity: must be a full entity ref/,
      );
      expect((await store.listFacts()).size).toBe(0);
    });
  },
);

describe.each(testDatabases.eachSupportedId())(
  'DemoHistory (%s)',
  databaseId => {
    let knex: Knex;
    afterEach(() => knex.destroy());

    const file = path.join(REPO_ROOT, 'catalog/demo/facts.yaml');

    it('gives a fresh portal weeks of compliance trend, written through the service into a chain that verifies', async () => {
      knex = await testDatabases.init(databaseId);
      const clock = testClock('2026-11-26T10:00:00.000Z');
      const h = await createHarness(knex, { now: clock.now });
      withForgePackages(h.catalog);
      const demo = new DemoHistory({
        store: h.store,
        loader: h.loader,
        catalog: h.catalog,
        logger: mockServices.logger.mock(),
        file,
        weeks: 11,
        now: clock.now,
      });
      // A fresh portal: nothing evaluated yet.
      expect((await h.dashboard.dashboard({})).trend).toHaveLength(0);

      await demo.seedIfFresh();

      const { trend } = await h.dashboard.dashboard({});
      expect(trend).toHaveLength(12);
      expect(trend[11].date).toBe('2026-11-26');
      // The weeks differ: the demo teams fixed failing CI, leaked secrets and critical vulnerabilities over time.
      expect(new Set(trend.map(t => t.failingChecks)).size).toBeGreaterThan(2);
      expect(trend[0].failingChecks).toBeGreaterThan(trend[11].failingChecks);

      // Today's facts are the newest ones of the file, as seedDemoFacts stores them.
      const churn = (
        await h.store.listFacts(['component:default/churn-model'])
      ).get('component:default/churn-model')!;
      expect(churn.find(f => f.name === 'ci')?.collectedAt).toBe(
        '2026-11-26T10:00:00.000Z',
      );
      // A past scorecard is rebuilt from that history: eight weeks ago churn-model's CI was failing.
      const past = await h.compliance.scorecard(
        'component:default/churn-model',
        new Date('2026-10-01T10:00:00.000Z'),
      );
      expect(
        past.results.find(r => r.checkId === 'ci.tests-passing')?.status,
      ).toBe('fail');
      expect(
        (
          await h.compliance.scorecard('component:default/churn-model')
        ).results.find(r => r.checkId === 'ci.tests-passing')?.status,
      ).toBe('pass');

      // The history is the service's own writes, in order: the chain verifies end to end.
      await h.checkpoints.checkpoint();
      expect((await h.history.verify()).ok).toBe(true);
      // No owner is told about a regression of a replayed week.
      expect(h.notifier.sent).toEqual([]);

      // Once only: a second run, or a restart, adds nothing.
      const records = await h.store.countHistory();
      await demo.seedIfFresh();
      await new DemoHistory({
        store: h.store,
        loader: h.loader,
        catalog: h.catalog,
        logger: mockServices.logger.mock(),
        file,
        weeks: 11,
        now: clock.now,
      }).seedIfFresh();
      expect(await h.store.countHistory()).toBe(records);
    }, 60_000);

    it('still replays when a project was created before the first scheduled evaluation, without backdating it', async () => {
      knex = await testDatabases.init(databaseId);
      const clock = testClock('2026-11-26T10:00:00.000Z');
      const h = await createHarness(knex, { now: clock.now });
      withForgePackages(h.catalog);
      const project: Entity = {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'first-project', namespace: 'default', etag: 'v1' },
        spec: {
          type: 'service',
          lifecycle: 'experimental',
          owner: 'group:default/fraud-science',
        },
      };
      h.catalog.entities.push(project);
      // The blueprint left its first evidence, and the project was evaluated: facts and history exist.
      await h.compliance.pushFact(
        'component:default/first-project',
        {
          name: 'ci',
          collectedAt: '2026-11-26T09:00:00.000Z',
          data: { status: 'passing', tests: 3 },
        },
        'service:ci',
      );
      expect(await h.store.countHistory()).toBeGreaterThan(0);

      expect(
        await new DemoHistory({
          store: h.store,
          loader: h.loader,
          catalog: h.catalog,
          logger: mockServices.logger.mock(),
          file,
          weeks: 11,
          now: clock.now,
        }).seedIfFresh(),
      ).toBe(true);
      expect((await h.dashboard.dashboard({})).trend).toHaveLength(12);
      // The project's history starts when it was created, not weeks before.
      expect(
        (
          await h.store.firstEvaluatedAt(['component:default/first-project'])
        ).get('component:default/first-project'),
      ).toBe('2026-11-26T10:00:00.000Z');
    }, 60_000);

    it('waits for the catalog to hold the demo entities, and never replays over real facts', async () => {
      knex = await testDatabases.init(databaseId);
      const h = await createHarness(knex);
      withForgePackages(h.catalog);
      const options = {
        store: h.store,
        loader: h.loader,
        catalog: h.catalog,
        logger: mockServices.logger.mock(),
        file,
        weeks: 11,
      };
      const all = h.catalog.entities;
      h.catalog.entities = all.filter(
        e => e.metadata.name !== 'feature-store-service',
      );
      // Not yet: the scheduled evaluations wait rather than make the portal no longer fresh.
      expect(await new DemoHistory(options).seedIfFresh()).toBe(false);
      expect(await h.store.countHistory()).toBe(0);
      expect((await h.store.listFacts()).size).toBe(0);

      h.catalog.entities = all;
      await h.store.upsertFact(
        'component:default/churn-model',
        {
          name: 'ci',
          collectedAt: new Date().toISOString(),
          data: { status: 'passing', tests: 1 },
        },
        'service:ci',
        new Date().toISOString(),
      );
      expect(await new DemoHistory(options).seedIfFresh()).toBe(true);
      expect(await h.store.countHistory()).toBe(0);
    });
  },
);

/**
 * Two replicas of one portal: two stores on their own connections to one database (one PostgreSQL database, one
 * SQLite file - an in-memory SQLite database cannot be shared), each with its own DemoHistory, started together.
 */
async function twoReplicas(databaseId: TestDatabaseId) {
  let first: Knex;
  let second: Knex;
  if (databaseId === 'SQLITE_3') {
    const filename = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'forge-replicas-')),
      'compliance.sqlite',
    );
    const connect = () =>
      knexFactory({
        client: 'better-sqlite3',
        connection: { filename },
        useNullAsDefault: true,
      });
    first = connect();
    second = connect();
  } else {
    first = await testDatabases.init(databaseId);
    second = knexFactory({
      client: first.client.config.client,
      connection: first.client.config.connection,
    });
  }
  return [first, second] as const;
}

/** What the history says, without its sequence numbers and hashes: results and scores, by entity and time. */
async function historyRows(knex: Knex) {
  const results = await knex('compliance_history')
    .select(
      'entity_ref',
      'check_id',
      'status',
      'previous_status',
      'recorded_at',
    )
    .orderBy(['recorded_at', 'entity_ref', 'check_id', 'status']);
  const scores = await knex('compliance_summary_history')
    .select('entity_ref', 'score', 'level', 'failing', 'recorded_at')
    .orderBy(['recorded_at', 'entity_ref', 'score', 'failing']);
  return { results, scores };
}

describe.each(testDatabases.eachSupportedId())(
  'DemoHistory on two replicas (%s)',
  databaseId => {
    let knexes: readonly Knex[] = [];
    const file = path.join(REPO_ROOT, 'catalog/demo/facts.yaml');
    afterEach(() => Promise.all(knexes.map(k => k.destroy())));

    it('replays once when two replicas start together: one claims, the other waits, no week twice', async () => {
      knexes = await twoReplicas(databaseId);
      const clock = testClock('2026-11-26T10:00:00.000Z');
      const keys = HistoryKeys.generate();
      // The same history key on every replica, as operations require; each replica migrates and loads its packs.
      const replicas = await Promise.all(
        knexes.map(async k => {
          const h = await createHarness(k, { now: clock.now, keys });
          withForgePackages(h.catalog);
          const demo = new DemoHistory({
            store: h.store,
            loader: h.loader,
            catalog: h.catalog,
            logger: mockServices.logger.mock(),
            file,
            weeks: 11,
            now: clock.now,
          });
          return { h, demo };
        }),
      );

      // Both start their first scheduled evaluation at the same moment.
      await Promise.all(replicas.map(r => r.demo.seedIfFresh()));
      // Every replica is done by its next scheduled run at the latest (the other waited, or found it finished).
      expect(
        await Promise.all(replicas.map(r => r.demo.seedIfFresh())),
      ).toEqual([true, true]);

      const [a, b] = replicas.map(r => r.h);
      // Twelve weekly points, whichever replica is asked.
      for (const h of [a, b]) {
        const { trend } = await h.dashboard.dashboard({});
        expect(trend.map(t => t.date)).toEqual([
          ...new Set(trend.map(t => t.date)),
        ]);
        expect(trend).toHaveLength(12);
      }
      // The history two replicas wrote is the history one replica replaying alone writes: the same results and
      // scores at the same times, none twice.
      const aloneKnex = await testDatabases.init(databaseId);
      try {
        const alone = await createHarness(aloneKnex, { now: clock.now });
        withForgePackages(alone.catalog);
        await new DemoHistory({
          store: alone.store,
          loader: alone.loader,
          catalog: alone.catalog,
          logger: mockServices.logger.mock(),
          file,
          weeks: 11,
          now: clock.now,
        }).seedIfFresh();
        expect(await a.store.countHistory()).toBe(
          await alone.store.countHistory(),
        );
        expect(await historyRows(knexes[0])).toEqual(
          await historyRows(aloneKnex),
        );
      } finally {
        await aloneKnex.destroy();
      }
      // One chain, written by one replica in order: it verifies from either replica.
      await a.checkpoints.checkpoint();
      expect((await b.history.verify()).ok).toBe(true);
    }, 120_000);
  },
);
