import { ChainVerification } from '@internal/plugin-compliance-common';
import { ComplianceStore } from '../database/ComplianceStore';
import { chainHash } from './hashing';

const PAGE = 5000;

/**
 * Walks the history from the first record, recomputing each hash from the one before; reports the first record
 * whose stored hash or link does not match (an edit, a deletion or an insertion breaks the chain there).
 */
export async function verifyChain(
  store: ComplianceStore,
): Promise<ChainVerification> {
  let prev = 'genesis';
  let after = 0;
  let checked = 0;
  for (;;) {
    const page = await store.readChain(after, PAGE);
    for (const record of page) {
      const expected = chainHash(prev, record);
      if (record.prevHash !== prev) {
        return {
          ok: false,
          checked,
          firstBrokenLink: {
            seq: record.seq,
            expectedHash: expected,
            storedHash: record.hash,
            reason:
              'the link to the previous record does not match (a record before it was removed or altered)',
          },
        };
      }
      if (record.hash !== expected) {
        return {
          ok: false,
          checked,
          firstBrokenLink: {
            seq: record.seq,
            expectedHash: expected,
            storedHash: record.hash,
            reason: 'the record was altered after it was written',
          },
        };
      }
      prev = record.hash;
      after = record.seq;
      checked++;
    }
    if (page.length < PAGE) return { ok: true, checked };
  }
}
