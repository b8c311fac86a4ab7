import fc from 'fast-check';
import Papa from 'papaparse';

import {
  CsvScanner,
  CsvSyntaxError,
  fieldValue,
} from '../../workers/csvScanner';

/** Scans `text` handed over in pieces of `size` characters; the records, or the error. */
function scan(text: string, size: number, pauseEvery = 0) {
  const records: string[][] = [];
  let fields: string[] = [];
  const scanner = new CsvScanner({
    field(t, start, end, quoted, escaped, index) {
      // A record cut off by the end of the text so far comes again, whole, from its first field.
      if (index === 0) fields = [];
      expect(index).toBe(fields.length);
      fields.push(fieldValue(t, start, end, quoted, escaped));
    },
    record(count) {
      expect(count).toBe(fields.length);
      records.push(fields);
      fields = [];
      return pauseEvery === 0 || records.length % pauseEvery !== 0;
    },
  });
  try {
    let at = 0;
    for (;;) {
      const state = scanner.scan();
      if (state === 'end') break;
      if (state === 'paused') continue;
      if (at < text.length) {
        scanner.push(text.slice(at, at + size));
        at += size;
      } else scanner.end();
    }
    return { records, newline: scanner.newline };
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    return { records, error, newline: scanner.newline };
  }
}

/** What PapaParse makes of the same text, with the options Forge's ingestion used before the scanner. */
function papa(text: string, newline?: string) {
  const result = Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: true,
    delimiter: ',',
    newline: newline as Papa.ParseConfig['newline'],
  });
  return { records: result.data, failed: result.errors.length > 0 };
}

const cell = fc
  .array(
    fc.constantFrom('a', 'b', '7', '.', ' ', ',', '"', '\n', '\r\n', 'é', '東'),
    { maxLength: 6 },
  )
  .map(parts => parts.join(''));

/** Random CSV: fields quoted when they must be and sometimes when they need not, empty lines here and there. */
const csv = fc
  .record({
    rows: fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 8,
    }),
    newline: fc.constantFrom('\n', '\r\n'),
    quoteAnyway: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    emptyLineAfter: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    trailingNewline: fc.boolean(),
  })
  .map(({ rows, newline, quoteAnyway, emptyLineAfter, trailingNewline }) => {
    let k = 0;
    const lines = rows.map((row, r) => {
      const line = row
        .map(value => {
          const must = /[",\r\n]/.test(value);
          return must || quoteAnyway[k++ % 40]
            ? `"${value.replace(/"/g, '""')}"`
            : value;
        })
        .join(',');
      return emptyLineAfter[r] ? line + newline : line;
    });
    return lines.join(newline) + (trailingNewline ? newline : '');
  });

describe('CsvScanner', () => {
  it('reads random CSV as PapaParse does, however the text is split', () => {
    fc.assert(
      fc.property(csv, fc.integer({ min: 1, max: 40 }), (text, size) => {
        const expected = papa(text);
        const got = scan(text, size);
        expect(expected.failed).toBe(false);
        expect(got.error).toBeUndefined();
        expect(got.records).toEqual(expected.records);
      }),
      { numRuns: 500 },
    );
  });

  it('fails where PapaParse reports an error, on truncated and garbled text, and agrees otherwise', () => {
    fc.assert(
      fc.property(
        csv,
        fc.nat(),
        fc.constantFrom('cut', 'quote', 'space-quote'),
        fc.integer({ min: 1, max: 40 }),
        (text, at, damage, size) => {
          const i = at % (text.length + 1);
          const garbled =
            damage === 'cut'
              ? text.slice(0, i)
              : text.slice(0, i) +
                (damage === 'quote' ? '"' : ' "') +
                text.slice(i);
          const got = scan(garbled, size);
          // Damage can put a line ending of another kind first; the scanner then takes that one, where PapaParse
          // counts which kind is most common. Given the same line ending, they must agree.
          const expected = papa(garbled, got.newline);
          expect(got.error !== undefined).toBe(expected.failed);
          // Where both fail, the records before the fault are the scanner's to report; Papa goes on past it.
          expect(expected.failed ? [] : got.records).toEqual(
            expected.failed ? [] : expected.records,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('names the record at fault, counting the header as record 1', () => {
    const open = scan('a,b\n1,2\n3,"open\n', 4);
    expect(open.error?.message).toBe('Quoted field unterminated');
    expect((open.error as { record: number }).record).toBe(3);
    expect(open.records).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    const trailing = scan('a,b\n"x"y,2\n', 100);
    expect(trailing.error?.message).toBe(
      'Trailing quote on quoted field is malformed',
    );
    expect((trailing.error as { record: number }).record).toBe(2);
  });

  it('guesses the line ending (\\r\\n, \\n or \\r) from the text, not from quoted values', () => {
    expect(scan('a,"x\ny"\r\n1,2\r\n', 3).records).toEqual([
      ['a', 'x\ny'],
      ['1', '2'],
    ]);
    expect(scan('a,b\r1,2\r', 1).records).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(scan('a,b\n1,2', 2).records).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('reads a record far longer than the pieces its text comes in, and an unclosed quote that runs to the end', () => {
    const long = 'a "quoted" value,\nover lines; '.repeat(8000);
    const text = `h1,h2\n1,"${long.replace(/"/g, '""')}"\n2,x\n`;
    expect(scan(text, 1000).records).toEqual([
      ['h1', 'h2'],
      ['1', long],
      ['2', 'x'],
    ]);
    const open = scan(`h1,h2\n1,"${long.replace(/"/g, '')}`, 1000);
    expect(open.error?.message).toBe('Quoted field unterminated');
    expect(open.records).toEqual([['h1', 'h2']]);
  });

  it('takes a semicolon, tab or bar as the delimiter when the first line is separated by it', () => {
    for (const d of [';', '\t', '|']) {
      const text = `a${d}"b${d}c"${d}d\r\n"x, y"${d}"q""q" ${d}2\r\n1${d}${d}3\r\n`;
      for (const size of [1, 4, 100]) {
        expect(scan(text, size).records).toEqual(
          Papa.parse<string[]>(text, {
            delimiter: d,
            skipEmptyLines: true,
          }).data,
        );
      }
      expect(scan(text, 100).records[1]).toEqual(['x, y', 'q"q', '2']);
    }
    // Commas win a tie, and quoted text does not count.
    expect(scan('a;b,c\n"x;y;z",1\n', 3).records).toEqual([
      ['a;b', 'c'],
      ['x;y;z', '1'],
    ]);
  });

  it('stops when the receiver asks and goes on from the next record', () => {
    const text = 'h1,h2\n1,"a\nb"\n2,c\n\n3,d\n';
    for (const size of [1, 5, 100]) {
      expect(scan(text, size, 1).records).toEqual(papa(text).records);
    }
  });
});
