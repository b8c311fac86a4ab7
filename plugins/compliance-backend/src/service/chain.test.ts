import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyObject } from 'node:crypto';
import { Knex } from 'knex';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';
import {
  chainHash,
  ledgerText,
  recordMac,
  resultText,
  sha256,
} from './hashing';
import { HistoryKeys } from './historyKeys';
import { DatabaseComplianceStore } from '../database/DatabaseComplianceStore';
import { verifyChain } from './chain';

jest.setTimeout(120_000);

const MIGRATIONS = path.resolve(__dirname, '../../migrations');

/** Every stored record of the chain in order, from both tables, as an attacker with the database sees them. */
async function storedChain(knex: Knex) {
  const results = (await knex('compliance_history')).map((r: any) => ({
    table: 'compliance_history',
    seq: Number(r.seq),
    kind: 'result' as const,
    text: resultText({
      entityRef: r.entity_ref,
      checkId: r.check_id,
      status: r.status,
      previousStatus: r.previous_status,
      message: r.message,
      packName: r.pack_name,
      packVersion: r.pack_version,
      ruleHash: r.rule_hash,
      factsHash: r.facts_hash,
      recordedAt: r.recorded_at,
    }),
    hash: r.hash as string,
  }));
  const ledger = (await knex('compliance_ledger')).map((r: any) => ({
    table: 'compliance_ledger',
    seq: Number(r.seq),
    kind: r.kind,
    text: ledgerText({
      recordId: r.record_id,
      event: r.event,
      entityRef: r.entity_ref,
      recordedAt: r.recorded_at,
      body: r.body,
    }),
    hash: r.hash as string,
  }));
  return [...results, ...ledger].sort((a, b) => a.seq - b.seq);
}

/**
 * Recomputes every record's hash from `fromSeq` on with `hashOf` and moves the chain head along: what an attacker
 * does after editing a record so that each link matches again.
 */
async function rehashFrom(
  knex: Knex,
  fromSeq: number,
  hashOf: (prev: string, seq: number, kind: string, text: string) => string,
) {
  let prev = 'genesis';
  for (const record of await storedChain(knex)) {
    if (record.seq >= fromSeq) {
      const hash = hashOf(prev, record.seq, record.kind, record.text);
      await knex(record.table)
        .where({ seq: record.seq })
        .update({ prev_hash: prev, hash });
      prev = hash;
    } else {
      prev = record.hash;
    }
  }
  await knex('compliance_chain_head').update({ last_hash: prev });
}

const plainSha = (prev: string, _seq: number, _kind: string, text: string) =>
  sha256(`${prev}\n${text}`);
const macWith =
  (key: KeyObject) => (prev: string, seq: number, kind: string, text: string) =>
    recordMac(key, prev, seq, kind as any, text);

describe.each(testDatabases.eachSupportedId())(
  'Tamper-evident history (%s)',
  databaseId => {
    let knex: Knex;
    let dir: string;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;
    let rejectedId: string;
    let gateId: string;
    let checkpointSeq: number;

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-history-'));
      clock = testClock();
      h = await createHarness(knex, {
        now: clock.now,
        checkpointFile: path.join(dir, 'checkpoints.jsonl'),
      });
      await h.compliance.evaluateAll();
      clock.advance(1);
      const exemption = await h.exemptions.request(
        {
          entityRef: 'component:default/claims-fraud-features',
          checkId: 'data.restricted-in-approved-region',
          justification:
            'Migration to eu-west-1 is scheduled for January; read-only until then.',
          compensatingControl:
            'Access limited to two named engineers, reviewed weekly.',
          expiresAt: new Date(
            clock.now().getTime() + 30 * 86400_000,
          ).toISOString(),
        },
        'user:default/mateo.garcia',
      );
      rejectedId = exemption.id;
      clock.advance(1);
      await h.exemptions.decide(
        exemption.id,
        { status: 'rejected', note: 'Move the data first.' },
        'user:default/daniel.moreau',
      );
      const evaluation = await h.compliance.dryRun(
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'claims-lapse-us', namespace: 'default' },
          spec: { type: 'ml-pipeline', owner: 'retention-analytics' },
        },
        'request',
      );
      gateId = await h.store.recordGateEvaluation(
        {
          entityRef: 'component:default/claims-lapse-us',
          decision: 'blocked',
          evaluation,
        },
        'plugin:scaffolder',
        clock.now().toISOString(),
      );
      // The newest records: a project moved to a region its data may not be in.
      clock.advance(1);
      h.catalog.update('component:default/churn-model', e => {
        e.metadata.annotations!['forge.io/region'] = 'us-east-1';
      });
      await h.compliance.evaluateChanged();
      checkpointSeq = (await h.history.checkpoint())!.seq;
    });

    afterEach(async () => {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('verifies an untouched history against its checkpoints', async () => {
      const verification = await h.history.verify();
      expect(verification).toEqual(
        expect.objectContaining({
          ok: true,
          head: expect.objectContaining({ seq: checkpointSeq }),
          checkpoint: expect.objectContaining({
            seq: checkpointSeq,
            keyId: h.keys.keyId,
          }),
        }),
      );
      expect(verification.checked).toBe(checkpointSeq);
      // Published outside the database too: the file holds the same signed checkpoint.
      const lines = fs
        .readFileSync(path.join(dir, 'checkpoints.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(JSON.parse(lines.at(-1)!)).toEqual(
        expect.objectContaining({ seq: checkpointSeq }),
      );
    });

    it('names the missing records when the newest ones are deleted, even with the head and the checkpoint table rewritten', async () => {
      // The newest three records (a result, a gate evaluation and an exemption decision) go, the head follows.
      const chain = await storedChain(knex);
      const missing = chain.at(-3)!.seq;
      for (const record of chain.slice(-3))
        await knex(record.table).where({ seq: record.seq }).delete();
      await knex('compliance_chain_head').update({
        last_seq: chain.at(-4)!.seq,
        last_hash: chain.at(-4)!.hash,
      });
      await knex('compliance_checkpoints').delete();

      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: missing,
          reason: expect.stringMatching(
            new RegExp(
              `^record seq ${missing} is missing: the checkpoint at \\S+ covers up to seq ${checkpointSeq}`,
            ),
          ),
        }),
      );
    });

    it('names a record deleted from the middle', async () => {
      const [middle] = await knex('compliance_history')
        .orderBy('seq')
        .offset(10)
        .limit(1);
      await knex('compliance_history').where({ seq: middle.seq }).delete();
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(middle.seq),
          reason: expect.stringMatching(/is missing/),
        }),
      );
    });

    const editOneResult = async () => {
      const [row] = await knex('compliance_history')
        .where({ status: 'fail' })
        .orderBy('seq')
        .offset(3)
        .limit(1);
      await knex('compliance_history')
        .where({ seq: row.seq })
        .update({ status: 'pass', message: null });
      return row;
    };

    it('names an edited record whose chain was re-hashed with plain SHA-256', async () => {
      const edited = await editOneResult();
      await rehashFrom(knex, Number(edited.seq), plainSha);
      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(edited.seq),
          record: `result of ${edited.entity_ref}, check ${edited.check_id} (pass)`,
          table: 'compliance_history',
          reason: expect.stringMatching(/fails its keyed hash \(HMAC\)/),
        }),
      );
    });

    it('names an edited record whose chain was re-hashed with a key other than the history key', async () => {
      const edited = await editOneResult();
      await rehashFrom(
        knex,
        Number(edited.seq),
        macWith(HistoryKeys.generate().macKey),
      );
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(edited.seq),
          reason: expect.stringMatching(/fails its keyed hash/),
        }),
      );
    });

    it('still detects a re-hash with the stolen MAC key: the signed checkpoint no longer matches', async () => {
      const edited = await editOneResult();
      await rehashFrom(knex, Number(edited.seq), macWith(h.keys.macKey));
      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: checkpointSeq,
          reason: expect.stringMatching(/does not match the checkpoint signed/),
        }),
      );
    });

    it('names an exemption whose rejection was flipped to an approval in the table', async () => {
      await knex('compliance_exemptions')
        .where({ id: rejectedId })
        .update({ status: 'approved', decided_by: 'user:default/mallory' });
      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          record: `exemption ${rejectedId}`,
          table: 'compliance_exemptions',
          reason: expect.stringContaining(
            'status is "approved" in the table but "rejected" in the history',
          ),
        }),
      );
      expect(verification.firstBrokenLink!.reason).toContain(
        'decided_by is "user:default/mallory" in the table but "user:default/daniel.moreau" in the history',
      );
    });

    it('names an exemption decision edited in the ledger itself', async () => {
      const record = await knex('compliance_ledger')
        .where({ kind: 'exemption', record_id: rejectedId, event: 'rejected' })
        .first();
      const forged = record.body.replace('"rejected"', '"approved"');
      await knex('compliance_ledger')
        .where({ seq: record.seq })
        .update({ body: forged, event: 'approved' });
      await knex('compliance_exemptions')
        .where({ id: rejectedId })
        .update({ status: 'approved' });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(record.seq),
          record: `exemption ${rejectedId} (approved)`,
          table: 'compliance_ledger',
        }),
      );
    });

    it('names a deleted gate evaluation', async () => {
      await knex('compliance_gate_evaluations').where({ id: gateId }).delete();
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          record: `gate-evaluation ${gateId}`,
          table: 'compliance_gate_evaluations',
          reason: expect.stringMatching(/was deleted/),
        }),
      );
    });

    it('names an altered policy pack version', async () => {
      await knex('compliance_policy_packs')
        .where({ name: 'baseline' })
        .update({ version: '0.0.1' });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          record: 'policy-pack baseline',
          table: 'compliance_policy_packs',
          reason: expect.stringMatching(/version is "0.0.1" in the table/),
        }),
      );
    });

    it('names a current result flipped behind the history', async () => {
      const [row] = await knex('compliance_current')
        .where({ status: 'fail' })
        .limit(1);
      await knex('compliance_current')
        .where({ entity_ref: row.entity_ref, check_id: row.check_id })
        .update({ status: 'pass' });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          record: `result of ${row.entity_ref}, check ${row.check_id}`,
          table: 'compliance_current',
        }),
      );
    });

    it('names the first renumbered record when one in the middle is deleted and the rest renumbered', async () => {
      const chain = await storedChain(knex);
      const victim = chain[10];
      await knex(victim.table).where({ seq: victim.seq }).delete();
      // Close the gap: every later record moves down by one, in order, so no seq is ever taken twice.
      for (const record of chain.slice(11)) {
        await knex(record.table)
          .where({ seq: record.seq })
          .update({ seq: record.seq - 1 });
      }
      const last = chain.at(-2)!;
      await knex('compliance_chain_head').update({
        last_seq: last.seq,
        last_hash: chain.at(-1)!.hash,
      });
      await knex('compliance_checkpoints').delete();
      const verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({ seq: victim.seq }),
      );
    });

    it('names two records swapped with each other', async () => {
      const chain = (await storedChain(knex)).filter(
        r => r.table === 'compliance_history',
      );
      const [a, b] = [chain[5], chain[6]];
      await knex('compliance_history')
        .where({ seq: a.seq })
        .update({ seq: -1 });
      await knex('compliance_history')
        .where({ seq: b.seq })
        .update({ seq: a.seq });
      await knex('compliance_history')
        .where({ seq: -1 })
        .update({ seq: b.seq });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: a.seq,
          reason: expect.stringMatching(
            /link to the previous record|keyed hash/,
          ),
        }),
      );
    });

    it('names a record of another entity replayed over a record, with its own hashes', async () => {
      const rows = await knex('compliance_history').orderBy('seq');
      const target = rows.find((r: any) => r.status === 'fail')!;
      const donor = rows.find(
        (r: any) =>
          r.status === 'pass' &&
          r.entity_ref !== target.entity_ref &&
          Number(r.seq) > Number(target.seq),
      )!;
      const { seq: _seq, ...copied } = donor;
      await knex('compliance_history')
        .where({ seq: target.seq })
        .update({
          ...copied,
          entity_ref: target.entity_ref,
          check_id: target.check_id,
        });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({ seq: Number(target.seq) }),
      );
    });

    it.each([
      ['policy-pack', 'compliance_policy_packs', 'name', 'baseline'],
      ['gate-evaluation', 'compliance_gate_evaluations', 'id', ''],
    ])(
      'names a %s row deleted with its newest ledger record relabelled as a removal',
      async (kind, table, idColumn, name) => {
        const id = name || gateId;
        await knex(table)
          .where({ [idColumn]: id })
          .delete();
        const [newest] = await knex('compliance_ledger')
          .where({ kind, record_id: id })
          .orderBy('seq', 'desc')
          .limit(1);
        await knex('compliance_ledger')
          .where({ seq: newest.seq })
          .update({ event: 'removed' });
        const verification = await h.history.verify();
        expect(verification.ok).toBe(false);
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: Number(newest.seq),
            table: 'compliance_ledger',
            reason: expect.stringMatching(/keyed hash/),
          }),
        );
      },
    );

    it('names a decision relabelled in the ledger columns outside the record body (what exports show)', async () => {
      const record = await knex('compliance_ledger')
        .where({ kind: 'exemption', record_id: rejectedId, event: 'rejected' })
        .first();
      await knex('compliance_ledger')
        .where({ seq: record.seq })
        .update({ event: 'approved', recorded_at: '2026-01-01T00:00:00.000Z' });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(record.seq),
          table: 'compliance_ledger',
        }),
      );
    });

    it('notices a database rolled back to an older backup, also when new records were written since', async () => {
      // The backup: the history as it stood at the checkpoint taken in beforeEach.
      const backup = await storedChain(knex);
      // Life goes on: more records, published in a newer checkpoint.
      clock.advance(1);
      h.catalog.update('component:default/churn-model', e => {
        e.metadata.annotations!['forge.io/region'] = 'eu-west-1';
      });
      await h.compliance.evaluateChanged();
      const published = (await h.history.checkpoint())!;
      expect(published.seq).toBeGreaterThan(checkpointSeq);

      // The restore: everything after the backup is gone from the database, its checkpoints with it.
      for (const table of ['compliance_history', 'compliance_ledger'])
        await knex(table).where('seq', '>', checkpointSeq).delete();
      await knex('compliance_checkpoints')
        .where('seq', '>', checkpointSeq)
        .delete();
      await knex('compliance_chain_head').update({
        last_seq: checkpointSeq,
        last_hash: backup.at(-1)!.hash,
      });
      let verification = await h.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: checkpointSeq + 1,
          reason: expect.stringContaining(
            `covers up to seq ${published.seq}, the stored history ends at seq ${checkpointSeq}`,
          ),
        }),
      );

      // New records on the restored history reach past the published seq: they cannot have its hash.
      const harness = await createHarness(knex, {
        now: clock.now,
        keys: h.keys,
        checkpointFile: path.join(dir, 'checkpoints.jsonl'),
      });
      for (const region of ['us-east-1', 'eu-west-1', 'us-east-1']) {
        clock.advance(1);
        harness.catalog.update('component:default/churn-model', e => {
          e.metadata.annotations!['forge.io/region'] = region;
        });
        await harness.compliance.evaluateChanged();
      }
      expect((await harness.store.chainHead()).seq).toBeGreaterThanOrEqual(
        published.seq,
      );
      verification = await harness.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: published.seq,
          reason: expect.stringMatching(/does not match the checkpoint signed/),
        }),
      );
    });

    describe('the checkpoint file', () => {
      const file = () => path.join(dir, 'checkpoints.jsonl');
      const lines = () => fs.readFileSync(file(), 'utf8').trim().split('\n');
      // A second checkpoint, so that the file has more than one line.
      const publishAnother = async () => {
        clock.advance(1);
        h.catalog.update('component:default/churn-model', e => {
          e.metadata.annotations!['forge.io/region'] = 'eu-west-1';
        });
        await h.compliance.evaluateChanged();
        return (await h.history.checkpoint())!;
      };

      it('names an edited line', async () => {
        await publishAnother();
        const edited = lines();
        edited[0] = edited[0].replace(
          /"at":"[^"]+"/,
          '"at":"2020-01-01T00:00:00.000Z"',
        );
        fs.writeFileSync(file(), `${edited.join('\n')}\n`);
        const verification = await h.history.verify();
        expect(verification.ok).toBe(false);
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            table: 'checkpoint file',
            reason: expect.stringMatching(
              /has an invalid signature: forged, altered or signed with another key \(line 1 of the checkpoint file\)/,
            ),
          }),
        );
      });

      it('still names the missing records when the newest records and the newest lines of the file are removed', async () => {
        // The database's copies still cover them (each replica may keep a file of its own, so the file alone is not
        // expected to hold every checkpoint the database does).
        const newest = await publishAnother();
        fs.writeFileSync(file(), `${lines().slice(0, -1).join('\n')}\n`);
        for (const table of ['compliance_history', 'compliance_ledger'])
          await knex(table).where('seq', '>', checkpointSeq).delete();
        const verification = await h.history.verify();
        expect(verification.ok).toBe(false);
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: checkpointSeq + 1,
            reason: expect.stringContaining(`covers up to seq ${newest.seq}`),
          }),
        );
      });

      it('names a line signed with another key', async () => {
        const other = HistoryKeys.generate();
        const [last] = lines().slice(-1);
        const cp = JSON.parse(last);
        const forged = { ...cp, seq: cp.seq + 3, keyId: other.keyId };
        forged.signature = other.sign(
          `forge-checkpoint/v1\n${forged.seq}\n${forged.head}\n${forged.at}\n${forged.keyId}`,
        );
        fs.appendFileSync(file(), `${JSON.stringify(forged)}\n`);
        const verification = await h.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: forged.seq,
            table: 'checkpoint file',
            reason: expect.stringMatching(/invalid signature.*line 2 of/),
          }),
        );
      });

      it('starts the next checkpoint on a line of its own after a line torn by a crash, and names the torn line', async () => {
        fs.appendFileSync(file(), '{"seq":12,"head":"ab');
        const newest = await publishAnother();
        const read = await h.checkpoints.readAll();
        expect(read).toContainEqual(
          expect.objectContaining({
            source: 'file',
            seq: newest.seq,
            valid: true,
          }),
        );
        const verification = await h.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            table: 'checkpoint file',
            reason: expect.stringMatching(/torn by a crash .*\(line 2 of/),
          }),
        );
      });
    });

    describe('attacks on the history and its checkpoints together', () => {
      const file = () => path.join(dir, 'checkpoints.jsonl');
      const publishAnother = async (region: string) => {
        clock.advance(1);
        h.catalog.update('component:default/churn-model', e => {
          e.metadata.annotations!['forge.io/region'] = region;
        });
        await h.compliance.evaluateChanged();
        return (await h.history.checkpoint())!;
      };

      it('names an edited record re-hashed with the stolen MAC key when the checkpoint rows are rewritten to match (the file still holds the signed head)', async () => {
        const edited = await editOneResult();
        await rehashFrom(knex, Number(edited.seq), macWith(h.keys.macKey));
        // Without the signing key the rows cannot be re-signed: the attacker drops the database's copies, and
        // re-labels what is left with the new head, keeping the old signatures.
        const { last_hash: newHead } = await knex(
          'compliance_chain_head',
        ).first();
        await knex('compliance_checkpoints').update({ head: newHead });
        let verification = await h.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            table: 'compliance_checkpoints',
            reason: expect.stringMatching(/invalid signature/),
          }),
        );
        await knex('compliance_checkpoints').delete();
        verification = await h.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: checkpointSeq,
            reason: expect.stringMatching(
              /does not match the checkpoint signed/,
            ),
          }),
        );
      });

      it('names the missing records when the newest records, the newest checkpoint row and the newest file line are all removed, while the backend that published it runs', async () => {
        const newest = await publishAnother('eu-west-1');
        for (const table of ['compliance_history', 'compliance_ledger'])
          await knex(table).where('seq', '>', checkpointSeq).delete();
        const backup = await storedChain(knex);
        await knex('compliance_chain_head').update({
          last_seq: checkpointSeq,
          last_hash: backup.at(-1)!.hash,
        });
        await knex('compliance_checkpoints')
          .where('seq', '>', checkpointSeq)
          .delete();
        const lines = fs.readFileSync(file(), 'utf8').trim().split('\n');
        fs.writeFileSync(file(), `${lines.slice(0, -1).join('\n')}\n`);

        const verification = await h.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: checkpointSeq + 1,
            reason: expect.stringContaining(
              `covers up to seq ${newest.seq}, the stored history ends at seq ${checkpointSeq} (from the backend's last published checkpoint)`,
            ),
          }),
        );
      });

      it('names records re-ordered by their timestamps', async () => {
        // The decision moved before the request, by swapping their times.
        const [request, decision] = await knex('compliance_ledger')
          .where({ kind: 'exemption', record_id: rejectedId })
          .orderBy('seq');
        await knex('compliance_ledger')
          .where({ seq: request.seq })
          .update({ recorded_at: decision.recorded_at });
        await knex('compliance_ledger')
          .where({ seq: decision.seq })
          .update({ recorded_at: request.recorded_at });
        const verification = await h.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: Number(request.seq),
            reason: expect.stringMatching(/keyed hash/),
          }),
        );
      });
    });

    describe('state tables changed without a ledger record', () => {
      it.each([
        [
          'an approval added as approved',
          async () => {
            await knex('compliance_exemptions').insert({
              id: 'forged-approval',
              kind: 'approval',
              entity_ref: 'component:default/claims-lapse-us',
              check_id: 'approval.production-release',
              justification: 'Approved by the change board on the phone.',
              compensating_control: 'none',
              requested_by: 'user:default/mallory',
              requested_at: clock.now().toISOString(),
              expires_at: '2027-12-31T00:00:00.000Z',
              status: 'approved',
              decided_by: 'user:default/daniel.moreau',
              decided_at: clock.now().toISOString(),
              decision_note: null,
            });
          },
          () => /^exemption forged-approval$/,
          /has no history record: it was written outside Forge/,
        ],
        [
          "an exemption's expiry extended",
          async () => {
            await knex('compliance_exemptions')
              .where({ id: rejectedId })
              .update({ expires_at: '2099-01-01T00:00:00.000Z' });
          },
          () => new RegExp(`^exemption ${rejectedId}$`),
          /expires_at is "2099-01-01T00:00:00.000Z" in the table/,
        ],
        [
          "a gate evaluation's refusal turned into an allowance",
          async () => {
            await knex('compliance_gate_evaluations')
              .where({ id: gateId })
              .update({ decision: 'allowed' });
          },
          () => new RegExp(`^gate-evaluation ${gateId}$`),
          /decision is "allowed" in the table but "blocked" in the history/,
        ],
        [
          "a policy pack's definition edited",
          async () => {
            const pack = await knex('compliance_policy_packs')
              .where({ name: 'baseline' })
              .first();
            await knex('compliance_policy_packs')
              .where({ name: 'baseline' })
              .update({
                definition: pack.definition.replace(/"critical"/g, '"low"'),
              });
          },
          () => /^policy-pack baseline$/,
          /definition is .* in the table but/,
        ],
        [
          "a current result's message changed",
          async () => {
            const [row] = await knex('compliance_current')
              .where({ status: 'fail' })
              .whereNotNull('message')
              .limit(1);
            await knex('compliance_current')
              .where({ entity_ref: row.entity_ref, check_id: row.check_id })
              .update({ message: 'Fixed.' });
          },
          () => /^result of /,
          /does not match its newest history record/,
        ],
        [
          'a current result added for an entity with no history',
          async () => {
            const [row] = await knex('compliance_current').limit(1);
            await knex('compliance_current').insert({
              ...row,
              entity_ref: 'component:default/not-in-history',
              status: 'pass',
            });
          },
          () => /^result of component:default\/not-in-history, check /,
          /has no history record: it was written outside Forge/,
        ],
      ] as Array<[string, () => Promise<void>, () => RegExp, RegExp]>)(
        'names %s',
        async (_, tamper, record, reason) => {
          await tamper();
          const verification = await h.history.verify();
          expect(verification.ok).toBe(false);
          expect(verification.firstBrokenLink!.record).toMatch(record());
          expect(verification.firstBrokenLink!.reason).toMatch(reason);
        },
      );

      it('names an entity ref replaced by a Unicode twin (NFD, or a Cyrillic letter) in a table and in the ledger', async () => {
        const ref = 'component:default/claims-fraud-features';
        for (const twin of [
          `${ref}\u0301`.normalize('NFD'),
          ref.replace('a', '\u0430'),
        ]) {
          await knex('compliance_exemptions')
            .where({ id: rejectedId })
            .update({ entity_ref: twin });
          let verification = await h.history.verify();
          expect(verification.firstBrokenLink).toEqual(
            expect.objectContaining({
              record: `exemption ${rejectedId}`,
              reason: expect.stringContaining(
                `entity_ref is ${JSON.stringify(
                  twin,
                )} in the table but "${ref}" in the history`,
              ),
            }),
          );
          await knex('compliance_exemptions')
            .where({ id: rejectedId })
            .update({ entity_ref: ref });

          const [current] = await knex('compliance_current')
            .where({ entity_ref: ref })
            .limit(1);
          await knex('compliance_current')
            .where({ entity_ref: ref, check_id: current.check_id })
            .update({ entity_ref: twin });
          verification = await h.history.verify();
          expect(verification.ok).toBe(false);
          expect(verification.firstBrokenLink!.record).toMatch(
            /^result of component:default\/claims/,
          );
          await knex('compliance_current')
            .where({ entity_ref: twin, check_id: current.check_id })
            .update({ entity_ref: ref });

          const [record] = await knex('compliance_history')
            .where({ entity_ref: ref })
            .orderBy('seq')
            .limit(1);
          await knex('compliance_history')
            .where({ seq: record.seq })
            .update({ entity_ref: twin });
          verification = await h.history.verify();
          expect(verification.firstBrokenLink).toEqual(
            expect.objectContaining({
              seq: Number(record.seq),
              reason: expect.stringMatching(/keyed hash/),
            }),
          );
          await knex('compliance_history')
            .where({ seq: record.seq })
            .update({ entity_ref: ref });
          expect((await h.history.verify()).ok).toBe(true);
        }
      });
    });

    it('names a forged checkpoint added to the database', async () => {
      const [cp] = await knex('compliance_checkpoints')
        .orderBy('seq', 'desc')
        .limit(1);
      await knex('compliance_checkpoints').insert({
        ...cp,
        seq: Number(cp.seq) + 5,
      });
      const verification = await h.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          table: 'compliance_checkpoints',
          reason: expect.stringMatching(/invalid signature/),
        }),
      );
    });
  },
);

describe.each(testDatabases.eachSupportedId())(
  'History written before the key (%s)',
  databaseId => {
    let knex: Knex;

    afterEach(() => knex.destroy());

    /** A database as the previous release left it: plain SHA-256 chain, unchained exemptions. */
    async function legacyDatabase() {
      knex = await testDatabases.init(databaseId);
      await knex.migrate.up({
        directory: MIGRATIONS,
        name: '20261126000000_init.js',
      });
      let prev = 'genesis';
      for (let i = 0; i < 5; i++) {
        const fields = {
          entityRef: 'component:default/a',
          checkId: `c${i}`,
          status: i % 2 ? 'pass' : 'fail',
          previousStatus: null,
          message: null,
          packName: 'baseline',
          packVersion: '1.0.0',
          ruleHash: `rule-${i}`,
          factsHash: 'none',
          recordedAt: `2026-11-0${i + 1}T00:00:00.000Z`,
        };
        const hash = chainHash(prev, fields);
        await knex('compliance_history').insert({
          entity_ref: fields.entityRef,
          check_id: fields.checkId,
          status: fields.status,
          previous_status: null,
          message: null,
          pack_name: fields.packName,
          pack_version: fields.packVersion,
          rule_hash: fields.ruleHash,
          facts_hash: fields.factsHash,
          recorded_at: fields.recordedAt,
          prev_hash: prev,
          hash,
        });
        await knex('compliance_current').insert({
          entity_ref: fields.entityRef,
          check_id: fields.checkId,
          pack_name: fields.packName,
          pack_version: fields.packVersion,
          rule_hash: fields.ruleHash,
          facts_hash: fields.factsHash,
          status: fields.status,
          message: null,
          since: fields.recordedAt,
        });
        prev = hash;
      }
      await knex('compliance_chain_head').update({ last_hash: prev });
      await knex('compliance_exemptions').insert({
        id: 'legacy-1',
        kind: 'exemption',
        entity_ref: 'component:default/a',
        check_id: 'c0',
        justification: 'An old decision from before the keyed history.',
        compensating_control: 'Manual review',
        requested_by: 'user:default/a',
        requested_at: '2026-11-01T00:00:00.000Z',
        expires_at: '2027-01-01T00:00:00.000Z',
        status: 'rejected',
        decided_by: 'user:default/b',
        decided_at: '2026-11-02T00:00:00.000Z',
        decision_note: null,
      });
    }

    it('migrates and re-anchors the old chain once; later edits to old records and decisions are named', async () => {
      await legacyDatabase();
      const keys = HistoryKeys.generate();
      const store = await DatabaseComplianceStore.fromKnex(knex, { keys });
      const verify = () => verifyChain({ store, keys, checkpoints: [] });
      expect(await verify()).toEqual(
        expect.objectContaining({
          ok: true,
          checked: 7,
          head: expect.objectContaining({ seq: 7 }),
        }),
      );
      const ledger = await knex('compliance_ledger').orderBy('seq');
      expect(ledger.map(r => [Number(r.seq), r.kind, r.event])).toEqual([
        [6, 'anchor', 'anchored'],
        [7, 'exemption', 'imported'],
      ]);
      // A second start does not anchor again.
      await DatabaseComplianceStore.fromKnex(knex, { keys });
      expect(await knex('compliance_ledger')).toHaveLength(2);
      expect((await verify()).checked).toBe(7);

      // New records are keyed and follow the anchor.
      await store.createExemption({
        id: 'new-1',
        kind: 'exemption',
        entityRef: 'component:default/a',
        checkId: 'c1',
        justification: 'A new request after the keyed history began.',
        compensatingControl: 'Weekly review',
        requestedBy: 'user:default/a',
        requestedAt: '2026-12-01T00:00:00.000Z',
        expiresAt: '2027-01-01T00:00:00.000Z',
        status: 'pending',
      });
      expect(await verify()).toEqual(
        expect.objectContaining({ ok: true, checked: 8 }),
      );

      // An old record edited and the old chain re-hashed with plain SHA-256: the anchor no longer links.
      await knex('compliance_history').where({ seq: 2 }).update({
        status: 'fail',
      });
      let prev = (await knex('compliance_history').where({ seq: 1 }).first())
        .hash;
      for (const row of await knex('compliance_history')
        .where('seq', '>=', 2)
        .orderBy('seq')) {
        const hash = chainHash(prev, {
          entityRef: row.entity_ref,
          checkId: row.check_id,
          status: row.status,
          previousStatus: row.previous_status,
          message: row.message,
          packName: row.pack_name,
          packVersion: row.pack_version,
          ruleHash: row.rule_hash,
          factsHash: row.facts_hash,
          recordedAt: row.recorded_at,
        });
        await knex('compliance_history')
          .where({ seq: row.seq })
          .update({ prev_hash: prev, hash });
        prev = hash;
      }
      const broken = await verify();
      expect(broken.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: 6,
          record: 'anchor of the history before the key',
          reason: expect.stringMatching(/link to the previous record/),
        }),
      );
    });

    it('names an old exemption flipped after the migration', async () => {
      await legacyDatabase();
      const keys = HistoryKeys.generate();
      const store = await DatabaseComplianceStore.fromKnex(knex, { keys });
      await knex('compliance_exemptions')
        .where({ id: 'legacy-1' })
        .update({ status: 'approved' });
      const verification = await verifyChain({
        store,
        keys,
        checkpoints: [],
      });
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: 7,
          record: 'exemption legacy-1',
          reason: expect.stringContaining('"approved" in the table'),
        }),
      );
    });
  },
);
