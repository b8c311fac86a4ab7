import { ChainVerification } from '@internal/plugin-compliance-common';
import {
  ChainRecord,
  ComplianceStore,
  StateKind,
} from '../database/ComplianceStore';
import { ReadCheckpoint } from './checkpoints';
import { chainHash, recordMac, sha256 } from './hashing';
import { HistoryKeys } from './historyKeys';

const PAGE = 5000;

type Problem = NonNullable<ChainVerification['firstBrokenLink']>;

const TABLES: Record<StateKind, string> = {
  exemption: 'compliance_exemptions',
  'gate-evaluation': 'compliance_gate_evaluations',
  'policy-pack': 'compliance_policy_packs',
};

function tableOf(record: ChainRecord): string {
  return record.kind === 'result' ? 'compliance_history' : 'compliance_ledger';
}

function describe(record: ChainRecord): string {
  if (record.result)
    return `result of ${record.result.entityRef}, check ${record.result.checkId} (${record.result.status})`;
  if (record.kind === 'anchor') return 'anchor of the history before the key';
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
  let legacyThrough = 0;
  if (
    anchor &&
    recordMac(
      keys.macKey,
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
    problems.push({
      seq: c.seq,
      expectedHash: c.head,
      storedHash: c.head,
      reason: `${
        c.at
          ? `the checkpoint of seq ${c.seq} at ${c.at} has an invalid signature: forged, altered or signed with another key`
          : 'a line of the checkpoint file is not a checkpoint: the file was altered, or the line was torn by a crash while it was written'
      }${c.line ? ` (line ${c.line} of the checkpoint file)` : ''}`,
      record: `checkpoint of seq ${c.seq}`,
      table: c.source === 'file' ? 'checkpoint file' : 'compliance_checkpoints',
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
      } else if (record.kind !== 'anchor' && record.recordId) {
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
        }, the stored history ends at seq ${lastSeq}`,
        record: `record seq ${lastSeq + 1}`,
        table: 'compliance_history / compliance_ledger',
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

/** The first thing wrong with one record of the chain, given the one before it; undefined if it holds. */
function checkRecord(options: {
  keys: HistoryKeys;
  record: ChainRecord;
  prev: string;
  lastSeq: number;
  legacyThrough: number;
  checkpoints: ReadCheckpoint[];
}): Problem | undefined {
  const { keys, record, prev, lastSeq, legacyThrough } = options;
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
    const expected = recordMac(
      keys.macKey,
      record.prevHash,
      record.seq,
      record.kind,
      record.text,
    );
    if (record.prevHash !== prev) return problem(brokenLink, expected);
    if (record.hash !== expected) {
      return problem(
        'the record fails its keyed hash (HMAC): it was altered after it was written, or re-hashed without the history key',
        expected,
      );
    }
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
