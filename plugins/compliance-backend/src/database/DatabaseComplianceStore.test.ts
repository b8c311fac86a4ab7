import { TestDatabases } from '@backstage/backend-test-utils';
import { EntityEvaluation } from '@internal/plugin-compliance-common';
import { Knex } from 'knex';
import path from 'node:path';
import { DatabaseComplianceStore } from './DatabaseComplianceStore';
import { EvaluationWrite } from './ComplianceStore';
import { verifyChain } from '../service/chain';
import { HistoryKeys } from '../service/historyKeys';

jest.setTimeout(60_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

function write(
  entityRef: string,
  statuses: Record<string, 'pass' | 'fail' | 'not_applicable'>,
  factsHash = 'none',
): EvaluationWrite {
  const results = Object.entries(statuses).map(([checkId, status]) => ({
    checkId,
    packName: 'baseline',
    packVersion: '1.0.0',
    severity: 'high' as const,
    level: 'bronze' as const,
    controls: ['AC-2'],
    status,
    message: status === 'fail' ? `fix ${checkId}` : undefined,
  }));
  const failing = results.filter(r => r.status === 'fail').length;
  const evaluation: EntityEvaluation = {
    entityRef,
    evaluatedAt: '',
    score: 100 - failing * 10,
    level: failing ? 'none' : 'bronze',
    results,
    controls: { 'AC-2': failing ? 'fail' : 'pass' },
  };
  return {
    entityRef,
    ownerRef: 'group:default/team',
    etag: 'e1',
    evaluation,
    ruleHashes: new Map(Object.keys(statuses).map(id => [id, `rule-${id}`])),
    factsHash,
  };
}

describe.each(databases.eachSupportedId())(
  'DatabaseComplianceStore (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseComplianceStore;
    const keys = HistoryKeys.generate();
    const verify = () => verifyChain({ store, keys, checkpoints: [] });

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await DatabaseComplianceStore.fromKnex(knex, { keys });
    });

    afterEach(async () => {
      await knex.destroy();
    });

    it('records history only for changes: 30 unchanged evaluations add no rows', async () => {
      await store.applyEvaluations(
        [
          write('component:default/a', {
            c1: 'pass',
            c2: 'fail',
            c3: 'not_applicable',
          }),
        ],
        '2026-11-01T00:00:00.000Z',
      );
      expect(await store.countHistory()).toBe(2);
      let at = '';
      for (let day = 1; day <= 30; day++) {
        at = new Date(Date.UTC(2026, 10, 1 + day)).toISOString();
        await store.applyEvaluations(
          [
            write('component:default/a', {
              c1: 'pass',
              c2: 'fail',
              c3: 'not_applicable',
            }),
          ],
          at,
        );
      }
      expect(await store.countHistory()).toBe(2);
      expect((await store.getSummary('component:default/a'))?.evaluatedAt).toBe(
        at,
      );

      const { changes } = await store.applyEvaluations(
        [
          write('component:default/a', {
            c1: 'fail',
            c2: 'fail',
            c3: 'not_applicable',
          }),
        ],
        '2026-12-05T00:00:00.000Z',
      );
      expect(changes).toEqual([
        expect.objectContaining({
          entityRef: 'component:default/a',
          checkId: 'c1',
          from: 'pass',
          to: 'fail',
        }),
      ]);
      expect(await store.countHistory()).toBe(3);
      const current = await store.getCurrent('component:default/a');
      expect(current.find(r => r.checkId === 'c2')?.since).toBe(
        '2026-11-01T00:00:00.000Z',
      );
      expect(current.find(r => r.checkId === 'c1')?.since).toBe(
        '2026-12-05T00:00:00.000Z',
      );
    });

    it('answers as of a past date from the history', async () => {
      await store.applyEvaluations(
        [write('component:default/a', { c1: 'fail' })],
        '2026-10-01T00:00:00.000Z',
      );
      await store.applyEvaluations(
        [write('component:default/a', { c1: 'pass' })],
        '2026-10-15T00:00:00.000Z',
      );
      await store.applyEvaluations(
        [write('component:default/a', { c1: 'not_applicable' })],
        '2026-11-01T00:00:00.000Z',
      );
      const at = async (date: string) =>
        (await store.stateAsOf(date, ['component:default/a'])).map(
          h => h.status,
        );
      expect(await at('2026-09-30T00:00:00.000Z')).toEqual([]);
      expect(await at('2026-10-10T00:00:00.000Z')).toEqual(['fail']);
      expect(await at('2026-10-20T00:00:00.000Z')).toEqual(['pass']);
      expect(await at('2026-11-02T00:00:00.000Z')).toEqual([]);
      expect(await store.getCurrent('component:default/a')).toEqual([]);
      const scores = await store.summariesAsOf('2026-10-10T00:00:00.000Z');
      expect(scores).toEqual([
        expect.objectContaining({
          entityRef: 'component:default/a',
          score: 90,
          failing: 1,
        }),
      ]);
    });

    it('chains history by hash and reports the first altered or removed record', async () => {
      await store.applyEvaluations(
        [write('component:default/a', { c1: 'fail', c2: 'pass' })],
        '2026-10-01T00:00:00.000Z',
      );
      await store.applyEvaluations(
        [write('component:default/b', { c1: 'pass' })],
        '2026-10-02T00:00:00.000Z',
      );
      await store.applyEvaluations(
        [write('component:default/a', { c1: 'pass', c2: 'pass' })],
        '2026-10-03T00:00:00.000Z',
      );
      expect(await verify()).toEqual(
        expect.objectContaining({ ok: true, checked: 4 }),
      );

      const rows = await knex('compliance_history').orderBy('seq');
      await knex('compliance_history')
        .where({ seq: rows[1].seq })
        .update({ status: rows[1].status === 'pass' ? 'fail' : 'pass' });
      const altered = await verify();
      expect(altered.ok).toBe(false);
      expect(altered.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(rows[1].seq),
          reason: expect.stringMatching(/altered/),
        }),
      );

      await knex('compliance_history')
        .where({ seq: rows[1].seq })
        .update({ status: rows[1].status });
      expect((await verify()).ok).toBe(true);
      await knex('compliance_history').where({ seq: rows[2].seq }).delete();
      const removed = await verify();
      expect(removed.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(rows[2].seq),
          reason: `record seq ${rows[2].seq} is missing: the records after it were kept, it was deleted`,
        }),
      );
    });

    it('closes the history of entities that left the catalog', async () => {
      await store.applyEvaluations(
        [write('component:default/gone', { c1: 'fail' })],
        '2026-10-01T00:00:00.000Z',
      );
      await store.removeEntities(
        ['component:default/gone'],
        '2026-10-05T00:00:00.000Z',
      );
      expect(await store.getSummary('component:default/gone')).toBeUndefined();
      expect(
        await store.stateAsOf('2026-10-06T00:00:00.000Z', [
          'component:default/gone',
        ]),
      ).toEqual([]);
      expect(
        (
          await store.stateAsOf('2026-10-02T00:00:00.000Z', [
            'component:default/gone',
          ])
        ).map(h => h.status),
      ).toEqual(['fail']);
      expect((await verify()).ok).toBe(true);
    });

    it('decides an exemption only from the expected status', async () => {
      await store.createExemption({
        id: 'x1',
        kind: 'exemption',
        entityRef: 'component:default/a',
        checkId: 'c1',
        justification: 'j',
        compensatingControl: 'c',
        requestedBy: 'user:default/guest',
        requestedAt: '2026-11-01T00:00:00.000Z',
        expiresAt: '2026-12-01T00:00:00.000Z',
        status: 'pending',
      });
      const decided = await store.transitionExemption('x1', 'pending', {
        status: 'approved',
        decidedBy: 'user:default/daniel.moreau',
        decidedAt: '2026-11-02T00:00:00.000Z',
      });
      expect(decided).toEqual(
        expect.objectContaining({
          status: 'approved',
          decidedBy: 'user:default/daniel.moreau',
        }),
      );
      expect(
        await store.transitionExemption('x1', 'pending', {
          status: 'rejected',
          decidedBy: 'x',
          decidedAt: 'y',
        }),
      ).toBeUndefined();
      expect(
        await store.listExpiringUnnotified(
          '2026-11-20T00:00:00.000Z',
          '2026-12-05T00:00:00.000Z',
        ),
      ).toHaveLength(1);
      await store.markExpiryNotified('x1', '2026-11-20T00:00:00.000Z');
      expect(
        await store.listExpiringUnnotified(
          '2026-11-20T00:00:00.000Z',
          '2026-12-05T00:00:00.000Z',
        ),
      ).toHaveLength(0);
    });

    it('keeps the latest fact of each name and its hash', async () => {
      const fact = {
        name: 'dependency-scan',
        collectedAt: '2026-11-01T00:00:00Z',
        data: { critical: 1 },
      };
      await store.upsertFact(
        'component:default/a',
        fact,
        'service:ci',
        '2026-11-01T00:00:01Z',
      );
      await store.upsertFact(
        'component:default/a',
        { ...fact, data: { critical: 0 } },
        'service:ci',
        '2026-11-02T00:00:01Z',
      );
      const facts = (await store.listFacts(['component:default/a'])).get(
        'component:default/a',
      )!;
      expect(facts).toEqual([
        expect.objectContaining({
          name: 'dependency-scan',
          data: { critical: 0 },
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      ]);
    });

    it('reads the chained gate records of the given entities only, in order, with their bodies', async () => {
      const gate = (
        entityRef: string,
        decision: 'passed' | 'blocked',
        at: string,
      ) =>
        store.recordGateEvaluation(
          {
            entityRef,
            decision,
            evaluation: {
              entityRef,
              score: 100,
              level: 'gold',
              results: [],
            } as any,
            taskId: `task-${at}`,
          },
          'service:plugin:scaffolder',
          at,
        );
      await gate('component:default/a', 'blocked', '2026-11-01T09:00:00.000Z');
      await gate('component:default/b', 'passed', '2026-11-01T10:00:00.000Z');
      await gate('component:default/a', 'passed', '2026-11-01T11:00:00.000Z');
      await gate('component:default/c', 'passed', '2026-11-01T12:00:00.000Z');
      await store.recordPolicyPacks(
        [
          {
            name: 'baseline',
            version: '1.0.0',
            file: 'baseline.yaml',
            definition: { name: 'baseline' },
          },
        ],
        '2026-11-01T13:00:00.000Z',
      );

      const records = await store.listLedgerFor('gate-evaluation', [
        'component:default/a',
        'component:default/c',
        'component:default/a',
      ]);
      expect(
        records.map(r => [
          r.entityRef,
          r.event,
          r.recordedAt,
          r.body.entity_ref,
        ]),
      ).toEqual([
        [
          'component:default/a',
          'blocked',
          '2026-11-01T09:00:00.000Z',
          'component:default/a',
        ],
        [
          'component:default/a',
          'passed',
          '2026-11-01T11:00:00.000Z',
          'component:default/a',
        ],
        [
          'component:default/c',
          'passed',
          '2026-11-01T12:00:00.000Z',
          'component:default/c',
        ],
      ]);
      expect(records.map(r => r.seq)).toEqual(
        [...records.map(r => r.seq)].sort((x, y) => x - y),
      );
      expect(records[1].body.task_id).toBe('task-2026-11-01T11:00:00.000Z');
      expect(await store.listLedgerFor('gate-evaluation', [])).toEqual([]);
      expect(
        await store.listLedgerFor('policy-pack', ['component:default/a']),
      ).toEqual([]);
    });

    it('migrates down and up again', async () => {
      const directory = path.resolve(__dirname, '../../migrations');
      // The index of ledger records by entity.
      await knex.migrate.down({ directory });
      expect(await knex.schema.hasTable('compliance_ledger')).toBe(true);
      await knex.migrate.down({ directory });
      expect(
        await knex.schema.hasColumn('compliance_exemptions', 'subject'),
      ).toBe(false);
      expect(await knex.schema.hasColumn('compliance_ledger', 'key_id')).toBe(
        true,
      );
      await knex.migrate.down({ directory });
      expect(await knex.schema.hasColumn('compliance_ledger', 'key_id')).toBe(
        false,
      );
      expect(await knex.schema.hasTable('compliance_claims')).toBe(true);
      await knex.migrate.down({ directory });
      expect(await knex.schema.hasTable('compliance_claims')).toBe(false);
      expect(await knex.schema.hasTable('compliance_ledger')).toBe(true);
      await knex.migrate.down({ directory });
      expect(await knex.schema.hasTable('compliance_ledger')).toBe(false);
      expect(await knex.schema.hasTable('compliance_history')).toBe(true);
      await knex.migrate.rollback({ directory }, true);
      expect(await knex.schema.hasTable('compliance_history')).toBe(false);
      await knex.migrate.latest({ directory });
      expect(await knex.schema.hasTable('compliance_history')).toBe(true);
      expect(await knex.schema.hasTable('compliance_ledger')).toBe(true);
    });
  },
);
