import { Entity } from '@backstage/catalog-model';
import { SCAFFOLDER_SERVICE_ACTOR } from '@internal/plugin-forge-node';
import { Knex } from 'knex';
import path from 'node:path';
import { REPO_ROOT } from '../__testUtils__/catalog';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';
import { seedDemoFacts } from './demoFacts';

jest.setTimeout(120_000);

const NEW_PROJECT = 'component:default/lapse-predictor';

/** A project registered like a blueprint's, but created by no blueprint run (no chained gate record). */
function newProject(): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'lapse-predictor',
      namespace: 'default',
      etag: 'v1',
      description:
        'Predicts which motor policies lapse at renewal so retention can call them first.',
      annotations: {
        'backstage.io/techdocs-ref': 'dir:.',
        'backstage.io/source-location':
          'url:https://git.example/lapse-predictor',
        'forge.io/blueprint': 'ml-training-pipeline@1.0.0',
        'forge.io/data-classification': 'confidential',
        'forge.io/contains-pii': 'false',
        'forge.io/region': 'eu-west-1',
        'forge.io/cost-center': 'CC-4111',
        'forge.io/cost-tags': 'forge-project=lapse-predictor',
        'forge.io/model-card': 'docs/model-card.md',
        'forge.io/model-stage': 'None',
        'forge.io/environment-request':
          'url:https://git.example/gitops/lapse-predictor',
      },
    },
    spec: {
      type: 'ml-pipeline',
      lifecycle: 'experimental',
      owner: 'group:default/retention-analytics',
      system: 'customer-retention',
      dependsOn: ['resource:default/policy-events-stream'],
    },
  };
}

/**
 * Rows of the ledger and the result history numbered outside the chain (seq 0, negative, NULL, beyond the head, or a
 * seq another record holds) are written outside Forge: verify names them, and no reader returns them.
 */
describe.each(testDatabases.eachSupportedId())(
  'rows outside the chain (%s)',
  databaseId => {
    let knex: Knex;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      clock = testClock('2026-11-20T09:00:00.000Z');
      h = await createHarness(knex, { now: clock.now });
      h.catalog.entities.push({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: {
          name: 'ml-training-pipeline',
          namespace: 'default',
          etag: 'v1',
          annotations: { 'forge.io/blueprint-version': '1.0.0' },
        },
        spec: { type: 'ml', steps: [] },
      });
      await seedDemoFacts(
        h.store,
        path.join(REPO_ROOT, 'catalog/demo/facts.yaml'),
        clock.now(),
      );
      await h.compliance.evaluateAll();
    });
    afterEach(() => knex.destroy());

    const forgedGate = (seq: number | null, at: string) => ({
      seq,
      kind: 'gate-evaluation',
      record_id: `forged-${seq}`,
      event: 'passed',
      entity_ref: NEW_PROJECT,
      body: JSON.stringify({
        entity_ref: NEW_PROJECT,
        task_id: 'task-x',
        decision: 'passed',
      }),
      recorded_at: at,
      prev_hash: 'genesis',
      hash: 'x',
      key_id: null,
    });

    const forgedExemption = (seq: number, at: string) => ({
      seq,
      kind: 'exemption',
      record_id: 'forged-exemption',
      event: 'approved',
      entity_ref: 'component:default/claims-fraud-features',
      body: JSON.stringify({
        id: 'forged-exemption',
        kind: 'exemption',
        entity_ref: 'component:default/claims-fraud-features',
        check_id: 'ci.tests-passing',
        status: 'approved',
        decided_by: 'user:default/ciso',
        decided_at: at,
        justification: 'Accepted by the CISO.',
        compensating_control: 'n/a',
        requested_by: 'user:default/ciso',
        requested_at: at,
        expires_at: '2027-01-01T00:00:00.000Z',
        decision_note: null,
      }),
      recorded_at: at,
      prev_hash: 'genesis',
      hash: 'x',
      key_id: null,
    });

    it('a gate record with seq 0 or below starts no grace period, opens no scaffolder window, and verify names it', async () => {
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      const status = async () =>
        (await h.compliance.scorecard(NEW_PROJECT)).results.find(
          r => r.checkId === 'ci.tests-passing',
        )?.status;
      const before = await status();
      expect(before).toBe('fail');
      clock.advance(24 * 30);
      const at = clock.now().toISOString();
      await knex('compliance_ledger').insert([
        forgedGate(0, at),
        forgedGate(-1, at),
      ]);

      await expect(
        h.compliance.pushFact(
          NEW_PROJECT,
          {
            name: 'secret-scan',
            collectedAt: at,
            source: 'x',
            data: { leaks: 0 },
          },
          SCAFFOLDER_SERVICE_ACTOR,
        ),
      ).rejects.toThrow();
      await h.compliance.evaluateEntities([NEW_PROJECT]);
      expect(await status()).toBe('fail');
      expect(
        await h.store.listLedgerFor('gate-evaluation', [NEW_PROJECT]),
      ).toEqual([]);

      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: -1,
          table: 'compliance_ledger',
          record: 'gate-evaluation forged--1 (passed)',
          reason: expect.stringContaining(
            'has seq -1, outside the chain (its records are numbered from 1 to the head)',
          ),
        }),
      );
    });

    it('an exemption approval with seq 0 is not read, and no export is signed while it is there', async () => {
      const at = clock.now().toISOString();
      await knex('compliance_ledger').insert(forgedExemption(0, at));
      clock.advance(1);
      expect(
        (await h.store.listLedger('exemption')).map(r => r.recordId),
      ).not.toContain('forged-exemption');
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: 0,
          table: 'compliance_ledger',
          reason: expect.stringContaining('has seq 0, outside the chain'),
        }),
      );
      await expect(
        h.evidence.collect({ scope: { type: 'org' }, asOf: clock.now() }),
      ).rejects.toThrow(/has seq 0, outside the chain/);
    });

    it('a ledger row with a NULL seq (SQLite allows one in its primary key) is named', async () => {
      if (!databaseId.startsWith('SQLITE')) return; // PostgreSQL refuses a NULL primary key
      const at = clock.now().toISOString();
      await knex('compliance_ledger').insert(forgedGate(null, at));
      expect(
        await h.store.listLedgerFor('gate-evaluation', [NEW_PROJECT]),
      ).toEqual([]);
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: 0,
          reason: expect.stringContaining('has seq NULL, outside the chain'),
        }),
      );
    });

    it('rows beyond the head are not read: a result that would be the newest, a decision, a gate record', async () => {
      const head = await h.store.chainHead();
      const [failing] = await knex('compliance_current')
        .where({ status: 'fail' })
        .limit(1);
      const [record] = await knex('compliance_history')
        .where({ entity_ref: failing.entity_ref, check_id: failing.check_id })
        .orderBy('seq', 'desc')
        .limit(1);
      const at = clock.now().toISOString();
      await knex('compliance_history').insert({
        ...record,
        seq: head.seq + 10,
        status: 'pass',
        previous_status: 'fail',
        recorded_at: at,
      });
      await knex('compliance_ledger').insert([
        forgedGate(head.seq + 11, at),
        forgedExemption(head.seq + 12, at),
      ]);
      clock.advance(1);
      const state = await h.store.stateAsOf(clock.now().toISOString(), [
        failing.entity_ref,
      ]);
      expect(state.find(s => s.checkId === failing.check_id)?.status).not.toBe(
        'pass',
      );
      expect(
        (await h.store.listHistory(failing.entity_ref, 5)).map(e => e.seq),
      ).not.toContain(head.seq + 10);
      expect(
        await h.store.listLedgerFor('gate-evaluation', [NEW_PROJECT]),
      ).toEqual([]);
      expect(
        (await h.store.listLedger('exemption')).map(r => r.recordId),
      ).not.toContain('forged-exemption');
      expect((await h.history.verify()).ok).toBe(false);
    });

    it('a ledger row holding the seq of a result is named', async () => {
      const [record] = await knex('compliance_history')
        .orderBy('seq', 'desc')
        .limit(1);
      await knex('compliance_ledger').insert(
        forgedExemption(Number(record.seq), clock.now().toISOString()),
      );
      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink?.seq).toBe(Number(record.seq));
    });
  },
);
