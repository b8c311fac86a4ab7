import { hash } from 'node:crypto';

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
 * The hash of a history record: the previous record's hash followed by this record's fields as canonical JSON.
 * The fields are flat strings, so JSON.stringify of an object whose keys are written in sorted order gives the
 * canonical text exactly (it leaves out undefined as canonicalJson does) without sorting keys for every record.
 */
export function chainHash(prevHash: string, fields: ChainedFields): string {
  return sha256(
    `${prevHash}\n${JSON.stringify({
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
    })}`,
  );
}
