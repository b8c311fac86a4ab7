import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, chainHash, hashOf } from './hashing';

/** The first implementation, whose output every stored hash depends on: the oracle for the faster one. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object')
    return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map(referenceCanonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => Number(a > b) - Number(a < b));
  return `{${entries
    .map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`)
    .join(',')}}`;
}

describe('hashing', () => {
  it('writes the same canonical JSON as the first implementation, for any JSON-like value', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string(), fc.option(fc.string(), { nil: undefined })),
        (json, withUndefined) => {
          expect(canonicalJson(json)).toBe(referenceCanonicalJson(json));
          expect(canonicalJson(withUndefined)).toBe(
            referenceCanonicalJson(withUndefined),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hashes history records as the canonical JSON of their fields', () => {
    const text = fc.option(fc.string(), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          entityRef: fc.string(),
          checkId: fc.string(),
          status: fc.string(),
          previousStatus: fc.option(fc.string(), { nil: undefined }),
          message: text,
          packName: fc.string(),
          packVersion: fc.string(),
          ruleHash: fc.string(),
          factsHash: fc.string(),
          recordedAt: fc.string(),
        }),
        fc.string(),
        (fields, prev) => {
          const expected = createHash('sha256')
            .update(
              `${prev}\n${referenceCanonicalJson({
                ...fields,
                previousStatus: fields.previousStatus ?? null,
                message: fields.message ?? null,
              })}`,
            )
            .digest('hex');
          expect(chainHash(prev, fields)).toBe(expected);
        },
      ),
    );
  });

  it('sorts keys by code unit, numeric-looking keys included, and leaves out undefined', () => {
    expect(
      canonicalJson({ b: 1, a: [true, null], 10: 'x', 9: 'y', Z: undefined }),
    ).toBe('{"10":"x","9":"y","a":[true,null],"b":1}');
  });

  it('keeps the hashes already stored in history chains', () => {
    // Computed when the chain was introduced; a different value means stored chains no longer verify.
    expect(
      chainHash('0'.repeat(64), {
        entityRef: 'component:default/claims-etl',
        checkId: 'ownership.group-exists',
        status: 'fail',
        previousStatus: null,
        message: 'Set spec.owner to a group that exists',
        packName: 'baseline',
        packVersion: '1.0.0',
        ruleHash: 'r',
        factsHash: 'f',
        recordedAt: '2026-11-26T12:00:00.000Z',
      }),
    ).toBe(
      createHash('sha256')
        .update(
          `${'0'.repeat(
            64,
          )}\n{"checkId":"ownership.group-exists","entityRef":"component:default/claims-etl","factsHash":"f","message":"Set spec.owner to a group that exists","packName":"baseline","packVersion":"1.0.0","previousStatus":null,"recordedAt":"2026-11-26T12:00:00.000Z","ruleHash":"r","status":"fail"}`,
        )
        .digest('hex'),
    );
    expect(hashOf({ b: [1, 2], a: 'x' })).toBe(
      createHash('sha256').update('{"a":"x","b":[1,2]}').digest('hex'),
    );
  });
});
