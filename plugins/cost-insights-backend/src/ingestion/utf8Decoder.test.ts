import fc from 'fast-check';

import { utf8Decoder } from '../../workers/utf8Decoder';

/** Decodes `bytes` handed over in pieces cut at `cuts`. */
function decodeInPieces(bytes: Uint8Array, cuts: number[]): string {
  const decode = utf8Decoder();
  const at = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort(
    (a, b) => a - b,
  );
  let text = '';
  let from = 0;
  for (const cut of [...at, bytes.length]) {
    text += decode(bytes.slice(from, cut));
    from = cut;
  }
  return text + decode(null);
}

describe('utf8Decoder', () => {
  it('decodes as TextDecoder does, however the bytes are split, invalid bytes and BOM included', () => {
    // Valid text of every UTF-8 length, plus bytes that are not UTF-8 at all: lone continuation and lead bytes,
    // overlong forms, surrogates, a BOM.
    const piece = fc.oneof(
      fc.string({ unit: 'binary' }).map(s => Buffer.from(s, 'utf8')),
      fc.constantFrom(
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from([0x80]),
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xe2, 0x82]),
        Buffer.from([0xe0, 0x80, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xf0, 0x9f, 0x98]),
        Buffer.from([0xf4, 0x90, 0x80, 0x80]),
        Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
        Buffer.from([0xff]),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (pieces, cuts) => {
          const bytes = new Uint8Array(Buffer.concat(pieces));
          expect(decodeInPieces(bytes, cuts)).toBe(
            new TextDecoder('utf-8').decode(bytes),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });
});
