import { createHmac, hash, KeyObject } from 'node:crypto';

/**
 * JSON with object keys sorted, so equal values always hash the same. Stored hashes depend on this exact text:
 * any change to it must keep the output byte for byte (hashing.test.ts pins it). Written as loops rather than
 * entries/sort/map/join because it runs for every result of every evaluation.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object')
    return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort order is by UTF-16 code units, the order `<` gives strings.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/** SHA-256 in hex; the one-shot hash is about twice as fast as a Hash object for short texts. */
export function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}

export function hashOf(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** The fields of a history record that its hash covers, in a fixed order. */
export interface ChainedFields {
  entityRef: string;
  checkId: string;
  status: string;
  previousStatus?: string | null;
  message?: string | null;
  packName: string;
  packVersion: string;
  ruleHash: string;
  factsHash: string;
  recordedAt: string;
}

/**
 * The text of a result record that its hash covers: its fields as canonical JSON. The fields are flat strings, so
 * JSON.stringify of an object whose keys are written in sorted order gives the canonical text exactly (it leaves out
 * undefined as canonicalJson does) without sorting keys for every record.
 */
export function resultText(fields: ChainedFields): string {
  return JSON.stringify({
    checkId: fields.checkId,
    entityRef: fields.entityRef,
    factsHash: fields.factsHash,
    message: fields.message ?? null,
    packName: fields.packName,
    packVersion: fields.packVersion,
    previousStatus: fields.previousStatus ?? null,
    recordedAt: fields.recordedAt,
    ruleHash: fields.ruleHash,
    status: fields.status,
  });
}

/**
 * The plain SHA-256 chain hash of a result record written before the keyed ledger: the previous record's hash
 * followed by this record's text. Kept to verify that older history up to its re-anchoring checkpoint.
 */
export function chainHash(prevHash: string, fields: ChainedFields): string {
  return sha256(`${prevHash}\n${resultText(fields)}`);
}

/** The kinds of record the ledger chains. */
export type LedgerKind =
  | 'result'
  | 'exemption'
  | 'gate-evaluation'
  | 'policy-pack'
  | 'anchor'
  | 'key-rotation';

/**
 * The text a ledger record's keyed hash covers: its body and every column beside it that verification or an export
 * reads (which record it is about, what happened, the entity, when). Without them in the hash, someone who can write
 * to the database could relabel a record (a rejection shown as `approved` in an export, a pack or gate evaluation
 * marked `removed` so that deleting its row passes) without touching the hashed body. The columns come first as a
 * JSON array, so no value can spill into another.
 */
export function ledgerText(record: {
  recordId: string;
  event: string;
  entityRef?: string | null;
  recordedAt: string;
  body: string;
}): string {
  return `${JSON.stringify([
    record.recordId,
    record.event,
    record.entityRef ?? null,
    record.recordedAt,
  ])}\n${record.body}`;
}

/**
 * The keyed hash of a ledger record: HMAC-SHA-256 of the previous record's hash, this record's sequence number, its
 * kind and its text. Without the key (kept outside the database) nobody can re-hash an edited chain so that it
 * verifies. The seq is inside so records cannot be renumbered or reordered.
 */
export function recordMac(
  key: KeyObject,
  prevHash: string,
  seq: number,
  kind: LedgerKind,
  text: string,
): string {
  return createHmac('sha256', key)
    .update(`${prevHash}\n${seq}\n${kind}\n${text}`)
    .digest('hex');
}

/**
 * The hash of a key rotation record, sealed by both keys: the retiring key's HMAC over the record and the new key's
 * HMAC of it. Whoever holds only the retired key cannot write a rotation (to a key of their own or to the real new
 * one), and whoever holds only the new key cannot pretend the history was rotated from another key.
 */
export function rotationSeal(
  retiringKey: KeyObject,
  newKey: KeyObject,
  prevHash: string,
  seq: number,
  text: string,
): string {
  const inner = recordMac(newKey, prevHash, seq, 'key-rotation', text);
  return recordMac(
    retiringKey,
    prevHash,
    seq,
    'key-rotation',
    `${text}\n${inner}`,
  );
}

/** The text a retiring signing key signs to endorse its successor's public key (checkable offline). */
export function rotationEndorsement(rotation: {
  fromKeyId: string;
  toKeyId: string;
  toPublicKey: string;
}): string {
  return `forge-key-rotation/v1\n${rotation.fromKeyId}\n${rotation.toKeyId}\n${rotation.toPublicKey}`;
}
