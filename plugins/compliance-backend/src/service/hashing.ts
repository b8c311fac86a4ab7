import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object')
    return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => Number(a > b) - Number(a < b));
  return `{${entries
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
    .join(',')}}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

/** The hash of a history record: the previous record's hash followed by this record's fields. */
export function chainHash(prevHash: string, fields: ChainedFields): string {
  return sha256(
    `${prevHash}\n${canonicalJson({
      entityRef: fields.entityRef,
      checkId: fields.checkId,
      status: fields.status,
      previousStatus: fields.previousStatus ?? null,
      message: fields.message ?? null,
      packName: fields.packName,
      packVersion: fields.packVersion,
      ruleHash: fields.ruleHash,
      factsHash: fields.factsHash,
      recordedAt: fields.recordedAt,
    })}`,
  );
}
