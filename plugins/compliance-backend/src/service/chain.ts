import { ChainVerification } from '@internal/plugin-compliance-common';
import {
  ChainRecord,
  ComplianceStore,
  StateKind,
} from '../database/ComplianceStore';
import { ReadCheckpoint } from './checkpoints';
import {
  chainHash,
  recordMac,
  rotationEndorsement,
  rotationSeal,
  sha256,
} from './hashing';
import { HistoryKeys } from './historyKeys';

const PAGE = 5000;

type Problem = NonNullable<ChainVerification['firstBrokenLink']>;

const TABLES: Record<StateKind, string> = {
  exemption: 'compliance_exemptions',
  'gate-evaluation': 'compliance_gate_evaluations',
  'policy-pack': 'compliance_policy_packs',
};

const CHECKPOINT_SOURCES: Record<ReadCheckpoint['source'], string> = {
  file: 'checkpoint file',
  database: 'compliance_checkpoints',
  memory: "the backend's last published checkpoint",
};

function tableOf(record: ChainRecord): string {
  return record.kind === 'result' ? 'compliance_history' : 'compliance_ledger';
}

function describe(record: ChainRecord): string {
  if (record.result)
    return `result of ${record.result.entityRef}, check ${record.result.checkId} (${record.result.status})`;
  if (record.kind === 'anchor') return 'anchor of the history before the key';
  if (record.kind === 'key-rotation')
    return `rotation of the history key to ${record.recordId}`;
  return `${record.kind} ${record.recordId} (${record.event})`;
}

/** The fields of a state row whose values differ from its newest ledger record, as `field: 'a' here, 'b' there`. */
function differences(stored: string, recorded: string): string {
  const a = JSON.parse(stored) as Record<string, unknown>;
  const b = JSON.parse(recorded) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter(k => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map(
      k =>
        `${k} is ${JSON.stringify(
          a[k] ?? null,
        )} in the table but ${JSON.stringify(b[k] ?? null)} in the history`,
    )
    .join('; ');
}

/** The part of a result the current state must agree with (facts move the current row without a new record). */
function resultState(r: {
  status: string;
  message?: string | null;
  packName: string;
  packVersion: string;
  ruleHash: string;
}): string {
  return [
    r.status,
    r.message ?? '',
    r.packName,
    r.packVersion,
    r.ruleHash,
  ].join('\u0000');
}

/**
 * Verifies the history end to end and reports the first broken or missing record:
 * 1. the chain, in order: every record's link to the one before, its keyed hash (HMAC with the history key; plain
 *    SHA-256 for records older than the key, up to the keyed anchor that seals them) and no gap in the sequence;
 * 2. the signed checkpoints (from the append-only file and the database): each signature, the record each one names
 *    still has the hash it signed, and no checkpoint names a record beyond the stored end (tail truncation);
 * 3. the state tables the app reads (exemptions and approvals, gate evaluations, policy packs, current results)
 *    agree with the newest record about each row: a flipped decision, a deleted or added row is named.
 */
export async function verifyChain(options: {
  store: ComplianceStore;
  keys: HistoryKeys;
  checkpoints: ReadCheckpoint[];
}): Promise<ChainVerification> {
  const { store, keys, checkpoints } = options;
  const problems: Problem[] = [];

  // Records up to the anchor predate the key; the anchor itself is keyed, so only a genuine one counts.
  const anchor = await store.findAnchor();
  const anchorKey = anchor && keys.byId(anchor.keyId);
  let legacyThrough = 0;
  if (
    anchor &&
    anchorKey &&
    recordMac(
      anchorKey.macKey,
      anchor.prevHash,
      anchor.seq,
      'anchor',
      anchor.text,
    ) === anchor.hash
  ) {
    legacyThrough = Number(
      JSON.parse(anchor.body ?? '{}').legacyThroughSeq ?? 0,
    );
  }

  const valid = checkpoints.filter(c => c.valid);
  for (const c of checkpoints.filter(cp => !cp.valid)) {
    let why =
      'a line of the checkpoint file is not a checkpoint: the file was altered, or the line was torn by a crash while it was written';
    if (c.at && keys.byId(c.keyId)) {
      why = `the checkpoint of seq ${c.seq} at ${c.at} has an invalid signature: forged, altered or signed with another key`;
    } else if (c.at) {
      why = `the checkpoint of seq ${c.seq} at ${c.at} has an invalid signature: forged, altered or signed with another key (key ${c.keyId}, which is neither the current history key nor a configured retired key; if it is a retired key of yours, add it to FORGE_HISTORY_RETIRED_KEYS)`;
    }
    problems.push({
      seq: c.seq,
      expectedHash: c.head,
      storedHash: c.head,
      reason: `${why}${
        c.line ? ` (line ${c.line} of the checkpoint file)` : ''
      }`,
      record: `checkpoint of seq ${c.seq}`,
      table: CHECKPOINT_SOURCES[c.source],
    });
  }
  const bySeq = new Map<number, ReadCheckpoint[]>();
  for (const c of valid) bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);

  // The newest state each record describes, to compare the tables with.
  const results = new Map<string, { state: string; seq: number }>();
  const latest: Record<
    StateKind,
    Map<string, { seq: number; event: string; body: string }>
  > = {
    exemption: new Map(),
    'gate-evaluation': new Map(),
    'policy-pack': new Map(),
  };

  let prev = 'genesis';
  let lastSeq = 0;
  let checked = 0;
  let broken: Problem | undefined;
  // The key in force: set by the first keyed record, changed only by a rotation record that holds.
  const inForce: KeyInForce = {
    keyId: undefined,
    since: 0,
    retiredAt: new Map(),
  };
  while (!broken) {
    const page = await store.readChain(lastSeq, PAGE);
    if (page.length === 0) break;
    for (const record of page) {
      broken = checkRecord({
        keys,
        record,
        prev,
        lastSeq,
        legacyThrough,
        inForce,
        checkpoints: bySeq.get(record.seq) ?? [],
      });
      if (broken) break;
      if (record.result) {
        results.set(
          `${record.result.entityRef}\u0000${record.result.checkId}`,
          {
            state:
              record.result.status === 'not_applicable'
                ? ''
                : resultState(record.result),
            seq: record.seq,
          },
        );
      } else if (
        record.kind !== 'anchor' &&
        record.kind !== 'key-rotation' &&
        record.recordId
      ) {
        latest[record.kind as StateKind].set(record.recordId, {
          seq: record.seq,
          event: record.event ?? '',
          body: record.body ?? '',
        });
      }
      prev = record.hash;
      lastSeq = record.seq;
      checked++;
    }
  }
  if (broken) problems.push(broken);

  // The chain is numbered from 1 and the walk starts there: a row below it (seq 0, negative, NULL) is never walked,
  // and the app never reads one either (DatabaseComplianceStore.chained), but it is a row written outside Forge.
  for (const { seq, record } of await store.readOffChain(10)) {
    problems.push({
      seq: seq ?? 0,
      expectedHash: '',
      storedHash: record.hash,
      reason: `a row of ${tableOf(record)} has seq ${
        seq ?? 'NULL'
      }, outside the chain (its records are numbered from 1 to the head): it was written outside Forge`,
      record: describe(record),
      table: tableOf(record),
    });
  }

  const head = await store.chainHead();
  if (!broken) {
    const beyond = valid
      .filter(c => c.seq > lastSeq)
      .sort((a, b) => b.seq - a.seq)[0];
    if (beyond) {
      problems.push({
        seq: lastSeq + 1,
        expectedHash: beyond.seq === lastSeq + 1 ? beyond.head : '',
        storedHash: '',
        reason: `record seq ${lastSeq + 1} is missing: the checkpoint at ${
          beyond.at
        } covers up to seq ${
          beyond.seq
        }, the stored history ends at seq ${lastSeq} (from ${
          CHECKPOINT_SOURCES[beyond.source]
        })`,
        record: `record seq ${lastSeq + 1}`,
        table: 'compliance_history / compliance_ledger',
      });
    } else if (
      inForce.keyId &&
      inForce.keyId !== keys.keyId &&
      keys.byId(inForce.keyId) &&
      head.seq === lastSeq
    ) {
      // Only possible if the rotation to the current key was removed with everything after it: a start with the
      // current key rotates before anything else is written.
      problems.push({
        seq: lastSeq + 1,
        expectedHash: '',
        storedHash: '',
        reason: `the stored history ends sealed by retired key ${inForce.keyId}, with no rotation to the current key ${keys.keyId}: the rotation record and what followed it were removed`,
        record: `record seq ${lastSeq + 1}`,
        table: 'compliance_ledger',
      });
    } else if (head.seq !== lastSeq || head.hash !== prev) {
      problems.push({
        seq: lastSeq + 1,
        expectedHash: head.hash,
        storedHash: prev,
        reason: `the chain head says the history ends at seq ${head.seq}, but the stored records end at seq ${lastSeq}`,
        record: `record seq ${Math.max(head.seq, lastSeq)}`,
        table: 'compliance_chain_head',
      });
    }
  }

  // State tables against the newest record about each row, once the chain itself is whole: a missing or altered
  // record is the cause to report, the disagreements it leaves in the tables are only its effects. Rows with no
  // record at all sort after the chain's end.
  if (problems.length === 0) {
    problems.push(...(await compareState(store, latest, results, head.seq)));
  }

  const newest = valid.sort((a, b) => b.seq - a.seq)[0];
  const firstBrokenLink = problems.sort((a, b) => a.seq - b.seq)[0];
  return {
    ok: !firstBrokenLink,
    checked,
    head,
    ...(newest
      ? {
          checkpoint: {
            seq: newest.seq,
            at: newest.at,
            keyId: newest.keyId,
            count: valid.length,
          },
        }
      : {}),
    ...(firstBrokenLink ? { firstBrokenLink } : {}),
  };
}

/** Which key seals the records being read, since which seq, and when each earlier key was retired. */
interface KeyInForce {
  keyId: string | undefined;
  since: number;
  retiredAt: Map<string, number>;
}

const RETIRED_KEYS_HINT =
  'add the retired key to FORGE_HISTORY_RETIRED_KEYS (forge.compliance.history.retiredKeys) and verify again';

/** The first thing wrong with one record of the chain, given the one before it; undefined if it holds. */
function checkRecord(options: {
  keys: HistoryKeys;
  record: ChainRecord;
  prev: string;
  lastSeq: number;
  legacyThrough: number;
  inForce: KeyInForce;
  checkpoints: ReadCheckpoint[];
}): Problem | undefined {
  const { keys, record, prev, lastSeq, legacyThrough, inForce } = options;
  const problem = (reason: string, expectedHash: string): Problem => ({
    seq: record.seq,
    expectedHash,
    storedHash: record.hash,
    reason,
    record: describe(record),
    table: tableOf(record),
  });
  const brokenLink =
    'the link to the previous record does not match (a record before it was removed or altered)';
  if (lastSeq > 0 && record.seq === lastSeq) {
    return problem(
      `seq ${record.seq} is held by two records (in compliance_history and compliance_ledger): one of them was written outside Forge`,
      '',
    );
  }
  if (record.seq <= legacyThrough) {
    // Written before the key: plain SHA-256, sealed by the keyed anchor that follows the last of them.
    const expected = record.result ? chainHash(prev, record.result) : '';
    if (record.prevHash !== prev) return problem(brokenLink, expected);
    if (record.hash !== expected)
      return problem('the record was altered after it was written', expected);
  } else {
    if (record.seq !== lastSeq + 1) {
      return {
        seq: lastSeq + 1,
        expectedHash: '',
        storedHash: '',
        reason: `record seq ${
          lastSeq + 1
        } is missing: the records after it were kept, it was deleted`,
        record: `record seq ${lastSeq + 1}`,
        table: tableOf(record),
      };
    }
    const keyProblem = checkKey(keys, record, inForce, problem);
    if (keyProblem) return keyProblem;
    const sealer = keys.byId(inForce.keyId)!;
    let expected: string;
    if (record.kind === 'key-rotation') {
      const rotation = parseRotation(record.body);
      const next = rotation && keys.byId(rotation.toKeyId);
      if (!rotation || rotation.fromKeyId !== inForce.keyId) {
        return problem(
          `the key rotation record does not rotate from the key in force (${inForce.keyId}): it was forged or altered`,
          '',
        );
      }
      if (!next) {
        return problem(
          `the history was rotated to key ${rotation.toKeyId}, which is neither the current history key (${keys.keyId}) nor a configured retired key: if your operators made this rotation, ${RETIRED_KEYS_HINT}; otherwise the rotation was forged`,
          '',
        );
      }
      expected = rotationSeal(
        sealer.macKey,
        next.macKey,
        record.prevHash,
        record.seq,
        record.text,
      );
      if (record.prevHash !== prev) return problem(brokenLink, expected);
      if (
        record.hash !== expected ||
        record.keyId !== next.keyId ||
        next.publicKeyPem() !== rotation.toPublicKey ||
        !sealer.verify(rotationEndorsement(rotation), rotation.endorsement)
      ) {
        return problem(
          `the key rotation record is not sealed by both the retiring key ${sealer.keyId} and the new key ${next.keyId}: it was forged (a stolen retired key cannot seal a rotation) or altered`,
          expected,
        );
      }
      inForce.retiredAt.set(sealer.keyId, record.seq);
      inForce.keyId = next.keyId;
      inForce.since = record.seq;
    } else {
      expected = recordMac(
        sealer.macKey,
        record.prevHash,
        record.seq,
        record.kind,
        record.text,
      );
      if (record.prevHash !== prev) return problem(brokenLink, expected);
      if (record.hash !== expected) {
        const retired = [...inForce.retiredAt].find(
          ([id]) =>
            recordMac(
              keys.byId(id)?.macKey ?? sealer.macKey,
              record.prevHash,
              record.seq,
              record.kind,
              record.text,
            ) === record.hash && id !== sealer.keyId,
        );
        if (retired) {
          return problem(
            `the record is sealed by retired key ${retired[0]} after its retirement at seq ${retired[1]}: it was forged with a stolen retired key`,
            expected,
          );
        }
        return problem(
          'the record fails its keyed hash (HMAC): it was altered after it was written, or re-hashed without the history key',
          expected,
        );
      }
    }
  }
  // A checkpoint is signed by the key in force at its record: a retired key signs none after its rotation.
  const misSigned = options.checkpoints.find(
    c =>
      record.seq > legacyThrough && inForce.keyId && c.keyId !== inForce.keyId,
  );
  if (misSigned) {
    return problem(
      `the checkpoint of seq ${record.seq} at ${
        misSigned.at
      } is signed by key ${misSigned.keyId}, not by ${
        inForce.keyId
      }, the key in force at that record${
        inForce.retiredAt.has(misSigned.keyId)
          ? `: ${misSigned.keyId} was retired at seq ${inForce.retiredAt.get(
              misSigned.keyId,
            )}, so the checkpoint was forged with a stolen retired key`
          : ''
      }`,
      misSigned.head,
    );
  }
  const mismatch = options.checkpoints.find(c => c.head !== record.hash);
  if (mismatch) {
    return problem(
      `the record does not match the checkpoint signed at ${mismatch.at}: it was altered or replaced after that checkpoint`,
      mismatch.head,
    );
  }
  return undefined;
}

/**
 * The record names the key in force (or, for a rotation, the key it rotates to, checked with the rotation); the
 * first keyed record sets which key that is. Returns a problem if the record names no key, a key not configured, or
 * another key than the one in force.
 */
function checkKey(
  keys: HistoryKeys,
  record: ChainRecord,
  inForce: KeyInForce,
  problem: (reason: string, expectedHash: string) => Problem,
): Problem | undefined {
  if (record.keyId === null && inForce.keyId && inForce.retiredAt.size === 0) {
    // Written during the rolling upgrade that added key ids, by a replica of the previous release: before any
    // rotation, so the key in force sealed it, and its HMAC is checked with that key like any other record's.
    return undefined;
  }
  if (!record.keyId) {
    return problem(
      `the record names no key id (key_id was ${
        record.keyId === null ? 'cleared' : 'emptied'
      }): every record names the key that sealed it${
        inForce.retiredAt.size > 0
          ? ', and since a key rotation none may omit it'
          : ''
      }`,
      '',
    );
  }
  if (!inForce.keyId) {
    if (!keys.byId(record.keyId)) {
      return problem(
        `the record is sealed by history key ${
          record.keyId
        }, which is not configured (this backend has ${keys.keyIds.join(
          ', ',
        )}): if it is a key your operators retired, ${RETIRED_KEYS_HINT}`,
        '',
      );
    }
    inForce.keyId = record.keyId;
    inForce.since = record.seq;
  }
  if (record.kind === 'key-rotation') return undefined;
  if (record.keyId !== inForce.keyId) {
    const retiredAt = inForce.retiredAt.get(record.keyId);
    return problem(
      retiredAt !== undefined
        ? `the record names retired key ${record.keyId}, retired at seq ${retiredAt}; the key in force is ${inForce.keyId}: a record after a rotation sealed by the retired key is forged`
        : `the record names key ${record.keyId}, but the key in force since seq ${inForce.since} is ${inForce.keyId} (key_id was altered, or the record was forged)`,
      '',
    );
  }
  return undefined;
}

function parseRotation(body: string | undefined):
  | {
      fromKeyId: string;
      toKeyId: string;
      toPublicKey: string;
      endorsement: string;
    }
  | undefined {
  try {
    const v = JSON.parse(body ?? '');
    return typeof v?.fromKeyId === 'string' &&
      typeof v.toKeyId === 'string' &&
      typeof v.toPublicKey === 'string' &&
      typeof v.endorsement === 'string'
      ? v
      : undefined;
  } catch {
    return undefined;
  }
}

async function compareState(
  store: ComplianceStore,
  latest: Record<
    StateKind,
    Map<string, { seq: number; event: string; body: string }>
  >,
  results: Map<string, { state: string; seq: number }>,
  headSeq: number,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const kind of Object.keys(latest) as StateKind[]) {
    const rows = await store.readState(kind);
    for (const [id, recorded] of latest[kind]) {
      const stored = rows.get(id);
      rows.delete(id);
      const removed = recorded.event === 'removed';
      if (stored === undefined && !removed) {
        problems.push({
          seq: recorded.seq,
          expectedHash: sha256(recorded.body),
          storedHash: '',
          reason: `${kind} ${id} was deleted from ${TABLES[kind]}; its newest history record is seq ${recorded.seq} (${recorded.event})`,
          record: `${kind} ${id}`,
          table: TABLES[kind],
        });
      } else if (stored !== undefined && removed) {
        problems.push({
          seq: recorded.seq,
          expectedHash: '',
          storedHash: sha256(stored),
          reason: `${kind} ${id} is in ${TABLES[kind]} but was removed by history record seq ${recorded.seq}`,
          record: `${kind} ${id}`,
          table: TABLES[kind],
        });
      } else if (stored !== undefined && stored !== recorded.body) {
        problems.push({
          seq: recorded.seq,
          expectedHash: sha256(recorded.body),
          storedHash: sha256(stored),
          reason: `${kind} ${id} in ${
            TABLES[kind]
          } does not match its newest history record, seq ${recorded.seq} (${
            recorded.event
          }): ${differences(stored, recorded.body)}`,
          record: `${kind} ${id}`,
          table: TABLES[kind],
        });
      }
    }
    for (const [id, stored] of rows) {
      problems.push({
        seq: headSeq + 1,
        expectedHash: '',
        storedHash: sha256(stored),
        reason: `${kind} ${id} in ${TABLES[kind]} has no history record: it was written outside Forge`,
        record: `${kind} ${id}`,
        table: TABLES[kind],
      });
    }
  }

  let after: [string, string] | undefined;
  for (;;) {
    const page = await store.readCurrent(after, PAGE);
    for (const row of page) {
      const key = `${row.entityRef}\u0000${row.checkId}`;
      const recorded = results.get(key);
      results.delete(key);
      const what = `result of ${row.entityRef}, check ${row.checkId}`;
      if (!recorded || recorded.state === '') {
        problems.push({
          seq: recorded?.seq ?? headSeq + 1,
          expectedHash: '',
          storedHash: sha256(resultState(row)),
          reason: recorded
            ? `the current ${what} is '${row.status}' in compliance_current, but history record seq ${recorded.seq} closed it`
            : `the current ${what} in compliance_current has no history record: it was written outside Forge`,
          record: what,
          table: 'compliance_current',
        });
      } else if (recorded.state !== resultState(row)) {
        const [status] = recorded.state.split('\u0000');
        problems.push({
          seq: recorded.seq,
          expectedHash: sha256(recorded.state),
          storedHash: sha256(resultState(row)),
          reason: `the current ${what} in compliance_current ('${row.status}') does not match its newest history record, seq ${recorded.seq} ('${status}')`,
          record: what,
          table: 'compliance_current',
        });
      }
    }
    if (page.length < PAGE) break;
    const last = page[page.length - 1];
    after = [last.entityRef, last.checkId];
  }
  for (const [key, recorded] of results) {
    if (recorded.state === '') continue;
    const [entityRef, checkId] = key.split('\u0000');
    problems.push({
      seq: recorded.seq,
      expectedHash: sha256(recorded.state),
      storedHash: '',
      reason: `the current result of ${entityRef}, check ${checkId} was deleted from compliance_current; history record seq ${recorded.seq} holds it`,
      record: `result of ${entityRef}, check ${checkId}`,
      table: 'compliance_current',
    });
  }

  return problems;
}
