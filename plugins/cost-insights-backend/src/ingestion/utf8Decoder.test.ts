import fc from 'fast-check';

import { InvalidUtf8Error, utf8Decoder } from '../../workers/utf8Decoder';

/** Decodes `bytes` handed over in pieces cut at `cuts`; `invalid` when the bytes stop being UTF-8. */
function decodeInPieces(
  bytes: Uint8Array,
  cuts: number[],
): { text: string; invalid: boolean } {
  const decode = utf8Decoder();
  const at = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort(
    (a, b) => a - b,
  );
  let text = '';
  let from = 0;
  try {
    for (const cut of [...at, bytes.length]) {
      text += decode(bytes.slice(from, cut));
      from = cut;
    }
    return { text: text + decode(null), invalid: false };
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) throw error;
    return { text: text + error.text, invalid: true };
  }
}

describe('utf8Decoder', () => {
  it('decodes as TextDecoder does, however the bytes are split, and refuses bytes that are not UTF-8 where TextDecoder does', () => {
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
          const lenient = new TextDecoder('utf-8').decode(bytes);
          let valid = true;
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          } catch {
            valid = false;
          }
          const decoded = decodeInPieces(bytes, cuts);
          expect(decoded.invalid).toBe(!valid);
          // Valid, the text is TextDecoder's; otherwise what came before the fault is exactly what TextDecoder makes of
          // it, and never holds a made-up U+FFFD.
          expect(
            valid ? decoded.text === lenient : lenient.startsWith(decoded.text),
          ).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps a U+FFFD the text really holds', () => {
    const text = 'Caf\uFFFD, Café';
    expect(decodeInPieces(Buffer.from(text), [4]).text).toBe(text);
    const latin1 = Buffer.from('Café', 'latin1');
    expect(decodeInPieces(latin1, [])).toEqual({ text: 'Caf', invalid: true });
  });
});
