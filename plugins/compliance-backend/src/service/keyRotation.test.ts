import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';
import {
  canonicalJson,
  ledgerText,
  recordMac,
  resultText,
  rotationEndorsement,
  rotationSeal,
} from './hashing';
import { HistoryKeys } from './historyKeys';
import { checkpointMessage } from './checkpoints';
import { verifyChain } from './chain';
import { REPO_ROOT } from '../__testUtils__/catalog';

jest.setTimeout(120_000);

const secret = (c: string) => c.repeat(64);

describe.each(testDatabases.eachSupportedId())(
  'Rotating the history key (%s)',
  databaseId => {
    let knex: Knex;
    let dir: string;
    let clock: ReturnType<typeof testClock>;
    // The key the history was written with, and the one it is rotated to.
    const first = HistoryKeys.fromSecret(secret('1'));
    const second = HistoryKeys.fromSecret(secret('2'));
    let before: Awaited<ReturnType<typeof createHarness>>;
    let lastSeqBefore: number;

    const harness = (keys: HistoryKeys) =>
      createHarness(knex, {
        now: clock.now,
        keys,
        checkpointFile: path.join(dir, 'checkpoints.jsonl'),
      });
    /** Some new records: the project's region changes. */
    const moveRegion = async (h: typeof before, region: string) => {
      clock.advance(1);
      h.catalog.update('component:default/churn-model', e => {
        e.metadata.annotations!['forge.io/region'] = region;
      });
      await h.compliance.evaluateChanged();
    };
    const head = async () =>
      knex('compliance_chain_head').where({ id: 1 }).first();
    /** Removes the newest record (a forged one) and moves the head back, as if it had never been written. */
    const dropNewest = async (seq: number) => {
      await knex('compliance_ledger').where({ seq }).delete();
      const [ledger] = await knex('compliance_ledger').where('seq', seq - 1);
      const [result] = await knex('compliance_history').where('seq', seq - 1);
      await knex('compliance_chain_head').update({
        last_seq: seq - 1,
        last_hash: (ledger ?? result).hash,
      });
    };

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-rotation-'));
      clock = testClock();
      before = await harness(first);
      await before.compliance.evaluateAll();
      await before.history.checkpoint();
      lastSeqBefore = Number((await head()).last_seq);
    });

    afterEach(async () => {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Restarts with the second key, the first one retired: the rotation. */
    const rotate = async () => {
      clock.advance(1);
      const after = await harness(second.withRetired([first]));
      await moveRegion(after, 'us-east-1');
      await after.history.checkpoint();
      return after;
    };

    it('rotates without rewriting history: old records keep their key, the rotation names both, verify passes', async () => {
      const oldRows = await knex('compliance_history').orderBy('seq');
      const after = await rotate();

      const rotation = await knex('compliance_ledger')
        .where({ kind: 'key-rotation' })
        .first();
      expect(Number(rotation.seq)).toBe(lastSeqBefore + 1);
      expect(rotation.key_id).toBe(second.keyId);
      expect(JSON.parse(rotation.body)).toEqual(
        expect.objectContaining({
          fromKeyId: first.keyId,
          toKeyId: second.keyId,
          toPublicKey: second.publicKeyPem(),
        }),
      );
      // Nothing written before the rotation was touched.
      const same = await knex('compliance_history')
        .where('seq', '<=', lastSeqBefore)
        .orderBy('seq');
      expect(same).toEqual(oldRows);
      expect(new Set(same.map((r: any) => r.key_id))).toEqual(
        new Set([first.keyId]),
      );
      const newer = await knex('compliance_history').where(
        'seq',
        '>',
        lastSeqBefore,
      );
      expect(newer.length).toBeGreaterThan(0);
      expect(new Set(newer.map((r: any) => r.key_id))).toEqual(
        new Set([second.keyId]),
      );
      expect((await head()).key_id).toBe(second.keyId);

      const verification = await after.history.verify();
      expect(verification).toEqual(
        expect.objectContaining({
          ok: true,
          checkpoint: expect.objectContaining({ keyId: second.keyId }),
        }),
      );
      expect(verification.checked).toBe(Number((await head()).last_seq));
      // Checkpoints of both keys are in the file; the public keys of both are published, the current one first.
      const keyIds = fs
        .readFileSync(path.join(dir, 'checkpoints.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(l => JSON.parse(l).keyId);
      expect(keyIds[0]).toBe(first.keyId);
      expect(keyIds.at(-1)).toBe(second.keyId);
      expect(after.history.publicKeyPem()).toBe(
        second.publicKeyPem() + first.publicKeyPem(),
      );

      // A second start with the same keys does not rotate again; a replica still on the old key may not write.
      await harness(second.withRetired([first]));
      expect(
        await knex('compliance_ledger').where({ kind: 'key-rotation' }),
      ).toHaveLength(1);
      await expect(
        before.compliance.evaluateEntities(['component:default/churn-model']),
      ).rejects.toThrow(
        `The compliance history is sealed with key ${second.keyId}, not this backend's key ${first.keyId}: the key was rotated while this replica ran. Restart it with the current FORGE_HISTORY_KEY`,
      );
      expect(await before.history.checkpoint()).toBeUndefined();
      expect((await after.history.verify()).ok).toBe(true);
    });

    it('fills in the key ids of records written before key ids, also when the key is rotated at the same start', async () => {
      // As the key-id migration leaves a database written by the previous release.
      for (const table of ['compliance_history', 'compliance_ledger'])
        await knex(table).update({ key_id: null });
      await knex('compliance_chain_head').update({
        key_id: null,
        key_ids_pending: true,
      });
      const after = await rotate();
      expect(
        await knex('compliance_history')
          .where('seq', '<=', lastSeqBefore)
          .whereNot({ key_id: first.keyId }),
      ).toEqual([]);
      expect((await after.history.verify()).ok).toBe(true);
    });

    it('names a record forged with the retired key after the rotation', async () => {
      const after = await rotate();
      const { last_seq: lastSeq, last_hash: lastHash } = await head();
      const [victim] = await knex('compliance_history')
        .where({ status: 'fail' })
        .orderBy('seq', 'desc')
        .limit(1);
      // An attacker with the stolen old key appends a record that closes a failure, naming either key.
      for (const keyId of [first.keyId, second.keyId]) {
        const seq = Number(lastSeq) + 1;
        const fields = {
          entityRef: victim.entity_ref,
          checkId: victim.check_id,
          status: 'pass',
          previousStatus: 'fail',
          message: null,
          packName: victim.pack_name,
          packVersion: victim.pack_version,
          ruleHash: victim.rule_hash,
          factsHash: victim.facts_hash,
          recordedAt: clock.now().toISOString(),
        };
        const hash = recordMac(
          first.macKey,
          lastHash,
          seq,
          'result',
          resultText(fields),
        );
        await knex('compliance_history').where('seq', '>', lastSeq).delete();
        await knex('compliance_history').insert({
          seq,
          entity_ref: fields.entityRef,
          check_id: fields.checkId,
          status: 'pass',
          previous_status: 'fail',
          message: null,
          pack_name: fields.packName,
          pack_version: fields.packVersion,
          rule_hash: fields.ruleHash,
          facts_hash: fields.factsHash,
          recorded_at: fields.recordedAt,
          prev_hash: lastHash,
          hash,
          key_id: keyId,
        });
        await knex('compliance_chain_head').update({
          last_seq: seq,
          last_hash: hash,
        });
        const verification = await after.history.verify();
        expect(verification.ok).toBe(false);
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq,
            table: 'compliance_history',
            reason:
              keyId === first.keyId
                ? `the record names retired key ${
                    first.keyId
                  }, retired at seq ${lastSeqBefore + 1}; the key in force is ${
                    second.keyId
                  }: a record after a rotation sealed by the retired key is forged`
                : `the record is sealed by retired key ${
                    first.keyId
                  } after its retirement at seq ${
                    lastSeqBefore + 1
                  }: it was forged with a stolen retired key`,
          }),
        );
      }
    });

    it('names a checkpoint signed with the retired key after the rotation', async () => {
      const after = await rotate();
      const { last_seq: seq, last_hash: headHash } = await head();
      const unsigned = {
        seq: Number(seq),
        head: headHash,
        at: clock.now().toISOString(),
        keyId: first.keyId,
      };
      await knex('compliance_checkpoints').where({ seq }).delete();
      await knex('compliance_checkpoints').insert({
        seq,
        head: headHash,
        at: unsigned.at,
        key_id: first.keyId,
        signature: first.sign(checkpointMessage(unsigned)),
      });
      const verification = await after.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(seq),
          reason: expect.stringContaining(
            `is signed by key ${first.keyId}, not by ${
              second.keyId
            }, the key in force at that record: ${
              first.keyId
            } was retired at seq ${lastSeqBefore + 1}`,
          ),
        }),
      );
    });

    /** Appends a rotation record as an attacker would, sealed with the keys they have. */
    const forgeRotation = async (
      from: HistoryKeys,
      to: HistoryKeys,
      sealWith: [HistoryKeys, HistoryKeys],
    ) => {
      const { last_seq: lastSeq, last_hash: lastHash } = await head();
      const seq = Number(lastSeq) + 1;
      const rotation = {
        fromKeyId: from.keyId,
        toKeyId: to.keyId,
        toPublicKey: to.publicKeyPem(),
      };
      const body = canonicalJson({
        ...rotation,
        endorsement: sealWith[0].sign(rotationEndorsement(rotation)),
      });
      const at = clock.now().toISOString();
      const hash = rotationSeal(
        sealWith[0].macKey,
        sealWith[1].macKey,
        lastHash,
        seq,
        ledgerText({
          recordId: to.keyId,
          event: 'rotated',
          recordedAt: at,
          body,
        }),
      );
      await knex('compliance_ledger').insert({
        seq,
        kind: 'key-rotation',
        record_id: to.keyId,
        event: 'rotated',
        entity_ref: null,
        body,
        recorded_at: at,
        prev_hash: lastHash,
        hash,
        key_id: to.keyId,
      });
      await knex('compliance_chain_head').update({
        last_seq: seq,
        last_hash: hash,
      });
      return seq;
    };

    it('names a fake rotation: to a key of the attacker, or sealed without the key it rotates from', async () => {
      // Someone holding the current key of a history never rotated moves it to a key of their own.
      const mallory = HistoryKeys.fromSecret(secret('m'));
      let seq = await forgeRotation(first, mallory, [first, mallory]);
      let verification = await before.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq,
          record: `rotation of the history key to ${mallory.keyId}`,
          table: 'compliance_ledger',
          reason: expect.stringMatching(
            `^the history was rotated to key ${mallory.keyId}, which is neither the current history key \\(${first.keyId}\\) nor a configured retired key: .*otherwise the rotation was forged`,
          ),
        }),
      );
      await dropNewest(seq);

      // After a real rotation, the stolen retired key cannot seal a rotation from the current key to another one.
      const after = await rotate();
      seq = await forgeRotation(second, mallory, [first, mallory]);
      verification = await after.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq,
          table: 'compliance_ledger',
        }),
      );
      expect(verification.firstBrokenLink!.reason).toMatch(
        /rotated to key .* otherwise the rotation was forged|not sealed by both/,
      );
      // Nor a rotation back to itself in the name of the current key.
      await dropNewest(seq);
      seq = await forgeRotation(second, first, [first, first]);
      verification = await after.history.verify();
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq,
          reason: `the key rotation record is not sealed by both the retiring key ${second.keyId} and the new key ${first.keyId}: it was forged (a stolen retired key cannot seal a rotation) or altered`,
        }),
      );
    });

    it('says what to configure when a retired key is missing, at start and in verify', async () => {
      const after = await rotate();
      // Verify on a backend given only the new key: the records before the rotation cannot be checked.
      const forgetful = await harness(second);
      const verification = await forgetful.history.verify();
      expect(verification.ok).toBe(false);
      expect(verification.firstBrokenLink!.reason).toMatch(
        new RegExp(
          `^the record is sealed by history key ${first.keyId}, which is not configured \\(this backend has ${second.keyId}\\): if it is a key your operators retired, add the retired key to FORGE_HISTORY_RETIRED_KEYS`,
        ),
      );
      expect((await after.history.verify()).ok).toBe(true);

      // A start with a third key and the second one not kept as retired: refused, with what to set.
      const third = HistoryKeys.fromSecret(secret('3'));
      await expect(harness(third.withRetired([first]))).rejects.toThrow(
        new RegExp(
          `sealed with key ${second.keyId}, which is neither this backend's key \\(${third.keyId}\\) nor one of its retired keys \\(${first.keyId}\\)\\. To rotate, put the previous FORGE_HISTORY_KEY in FORGE_HISTORY_RETIRED_KEYS`,
        ),
      );
      // Nothing was written by the refused start.
      expect((await head()).key_id).toBe(second.keyId);
      expect((await after.history.verify()).ok).toBe(true);
    });

    it('keeps exports from before and after the rotation verifiable offline with the published public keys', async () => {
      const query = {
        scope: {
          type: 'entity' as const,
          ref: 'component:default/churn-model',
        },
        asOf: clock.now(),
      };
      const oldExport = await before.evidence.export(query, 'csv');
      const after = await rotate();
      const newExport = await after.evidence.export(
        { ...query, asOf: clock.now() },
        'oscal',
      );
      const write = (name: string, text: string) => {
        fs.writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      };
      const offline = (file: string, keysFile: string) => {
        const run = spawnSync(
          process.execPath,
          [
            path.join(REPO_ROOT, 'scripts/verify-evidence.mjs'),
            file,
            '--public-key',
            keysFile,
            '--checkpoints',
            path.join(dir, 'checkpoints.jsonl'),
          ],
          { encoding: 'utf8' },
        );
        return { status: run.status, output: `${run.stdout}${run.stderr}` };
      };
      // What /history/public-key serves after the rotation: both keys.
      const published = write('keys.pem', after.history.publicKeyPem());
      const files = [
        write(oldExport.filename, oldExport.body),
        write(newExport.filename, newExport.body),
      ];
      for (const [file, keyId] of [
        [files[0], first.keyId],
        [files[1], second.keyId],
      ]) {
        const ok = offline(file, published);
        expect(ok.output).toContain(`signed by key ${keyId}`);
        expect(ok.status).toBe(0);
      }
      // Given only the new key, the old export and the old key's checkpoint lines are named.
      const onlyNew = write('new.pem', second.publicKeyPem());
      const failed = offline(files[0], onlyNew);
      expect(failed.status).toBe(1);
      expect(failed.output).toContain(
        `the export names signing key ${first.keyId}, the public key given is ${second.keyId}`,
      );
      expect(failed.output).toMatch(
        /line 1 of .* is not a checkpoint signed by this key: .*give every retired public key too/,
      );
    });

    it('names a history cut back to before the rotation, with every checkpoint of the new key removed', async () => {
      const after = await rotate();
      const rotation = await knex('compliance_ledger')
        .where({ kind: 'key-rotation' })
        .first();
      for (const table of ['compliance_history', 'compliance_ledger'])
        await knex(table).where('seq', '>', lastSeqBefore).delete();
      await knex('compliance_chain_head').update({
        last_seq: lastSeqBefore,
        last_hash: rotation.prev_hash,
      });
      await knex('compliance_checkpoints')
        .where('seq', '>', lastSeqBefore)
        .delete();
      // Verified from the database alone, as a replica that never saw the newer checkpoints would.
      const verification = await verifyChain({
        store: after.store,
        keys: second.withRetired([first]),
        checkpoints: [],
      });
      expect(verification.firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: lastSeqBefore + 1,
          reason: `the stored history ends sealed by retired key ${first.keyId}, with no rotation to the current key ${second.keyId}: the rotation record and what followed it were removed`,
        }),
      );
    });

    it('accepts records without a key id written by the previous release during the upgrade, until the rotation; an empty key id is named', async () => {
      const [row] = await knex('compliance_history')
        .orderBy('seq', 'desc')
        .limit(1);
      await knex('compliance_history')
        .where({ seq: row.seq })
        .update({ key_id: null });
      expect((await before.history.verify()).ok).toBe(true);
      // Still sealed by the key in force: an edit of such a record is named like any other.
      await knex('compliance_history')
        .where({ seq: row.seq })
        .update({ status: row.status === 'pass' ? 'fail' : 'pass' });
      expect((await before.history.verify()).firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(row.seq),
          reason: expect.stringMatching(/keyed hash/),
        }),
      );
      await knex('compliance_history')
        .where({ seq: row.seq })
        .update({ status: row.status, key_id: '' });
      expect((await before.history.verify()).firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(row.seq),
          reason: expect.stringMatching(
            /^the record names no key id \(key_id was emptied\)/,
          ),
        }),
      );
      // The rotation gives the records without one the retiring key's id.
      await knex('compliance_history')
        .where({ seq: row.seq })
        .update({ key_id: null });
      const after = await rotate();
      expect(
        (await knex('compliance_history').where({ seq: row.seq }).first())
          .key_id,
      ).toBe(first.keyId);
      expect((await after.history.verify()).ok).toBe(true);
    });

    it('names a record whose key id was cleared or emptied after a rotation', async () => {
      const after = await rotate();
      const [row] = await knex('compliance_history')
        .orderBy('seq', 'desc')
        .limit(1);
      for (const keyId of [null, '']) {
        await knex('compliance_history')
          .where({ seq: row.seq })
          .update({ key_id: keyId });
        const verification = await after.history.verify();
        expect(verification.firstBrokenLink).toEqual(
          expect.objectContaining({
            seq: Number(row.seq),
            reason: expect.stringMatching(/^the record names no key id/),
          }),
        );
      }
      // Relabelled with the retired key's id: named as well.
      await knex('compliance_history')
        .where({ seq: row.seq })
        .update({ key_id: first.keyId });
      expect((await after.history.verify()).firstBrokenLink).toEqual(
        expect.objectContaining({
          seq: Number(row.seq),
          reason: expect.stringMatching(/names retired key/),
        }),
      );
    });
  },
);
