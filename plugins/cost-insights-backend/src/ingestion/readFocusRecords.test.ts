import { InputError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FocusFields } from './FocusRowReader';
import { FocusReadError, readFocusRecords } from './readFocusRecords';
import { formatDecimal } from '../../workers/focusDecimal';

/** The bytes as a stream of chunks of `size` bytes, so values and characters are split across chunks. */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size)
    chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function readAll(
  content: Readable,
  options: {
    columns?: number[];
    numeric?: number[];
    dictionaryLimit?: number;
    maxBytes?: number;
  } = {},
) {
  const records: Array<Array<string | number>> = [];
  const input = readFocusRecords(content, {
    maxBytes: options.maxBytes ?? 1e9,
    dictionaryLimit: options.dictionaryLimit,
  });
  await input.parse(
    (fields: FocusFields, fractions: Float64Array) =>
      // A decimal the parser read arrives as whole units and fraction: shown here as #<exact text>.
      records.push(
        fields.map((f, i) =>
          typeof f === 'number' ? `#${formatDecimal(f, fractions[i])}` : f,
        ),
      ),
    options.columns
      ? () => ({ columns: options.columns!, numeric: options.numeric })
      : undefined,
  );
  return { records, hash: input.contentHash(), bytes: input.bytesRead() };
}

describe('readFocusRecords', () => {
  it('parses quoted commas, newlines and quotes, a BOM and characters split between chunks', async () => {
    const text =
      '\uFEFFName,Note,Cost\r\n' +
      'Zürich,"a, b",1.5\r\n' +
      '\r\n' +
      '"São ""Paulo""","two\nlines",2\r\n' +
      '東京,plain,3\r\n';
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 7, 1024]) {
      const { records, bytes: read } = await readAll(chunked(bytes, size));
      expect(records).toEqual([
        ['Name', 'Note', 'Cost'],
        ['Zürich', 'a, b', '1.5'],
        ['São "Paulo"', 'two\nlines', '2'],
        ['東京', 'plain', '3'],
      ]);
      expect(read).toBe(bytes.length);
    }
  });

  it('reads chunks far larger than it scans at once, characters split between the pieces included', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => [
      `Zürich 東京 ${i}`,
      `"São ""${i}"", a"`,
      String(i),
    ]);
    const text = `A,B,C\n${rows.map(r => r.join(',')).join('\n')}\n`;
    const bytes = Buffer.from(text, 'utf8');
    expect(bytes.length).toBeGreaterThan(3 * 65536);
    const expected = [
      ['A', 'B', 'C'],
      ...rows.map((_, i) => [`Zürich 東京 ${i}`, `São "${i}", a`, String(i)]),
    ];
    for (const size of [bytes.length, 100_003]) {
      const { records } = await readAll(chunked(bytes, size));
      expect(records).toEqual(expected);
    }
  });

  it('sends the columns asked for, decimals as numbers when written plainly and as text otherwise', async () => {
    const text = [
      'A,B,Cost,Quantity',
      'a1,b1,1.25,2',
      'a2,b2,NULL, ',
      'a3,b3,1e3,abc',
      'a4,b4,0,-0.5',
      'a5,b5,,1e999',
    ].join('\n');
    const { records } = await readAll(Readable.from([text]), {
      columns: [0, 2, 3],
      numeric: [2, 3],
    });
    expect(records).toEqual([
      ['A', 'B', 'Cost', 'Quantity'],
      ['a1', '', '#1.25', '#2'],
      ['a2', '', 'NULL', ' '],
      ['a3', '', '#1000', 'abc'],
      ['a4', '', '#0', '#-0.5'],
      ['a5', '', '', '1e999'],
    ]);
  });

  it('keeps every value right when the dictionaries start over', async () => {
    const lines = ['Id,Team,Day'];
    const expected: string[][] = [['Id', 'Team', 'Day']];
    for (let i = 0; i < 500; i++) {
      const row = [`id-${i}`, `team-${i % 7}`, `2026-10-${(i % 28) + 1}`];
      lines.push(row.join(','));
      expected.push(row);
    }
    const { records } = await readAll(
      chunked(Buffer.from(lines.join('\n')), 100),
      { dictionaryLimit: 5 },
    );
    expect(records).toEqual(expected);
  });

  it('hashes the raw bytes, gzip or not', async () => {
    const text = Buffer.from('A,B\n1,2\n');
    const plain = await readAll(Readable.from([text]));
    const gzip = gzipSync(text);
    const zipped = await readAll(Readable.from([gzip]));
    expect(zipped.records).toEqual(plain.records);
    expect(plain.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(zipped.hash).not.toBe(plain.hash);
    expect(zipped.bytes).toBe(gzip.length);
  });

  it('names the line where the text stops being CSV', async () => {
    const text = 'A,B\n1,2\n3,"unclosed\n';
    await expect(readAll(Readable.from([text]))).rejects.toThrow(
      new FocusReadError(
        'Line 3: the file is not valid CSV (Quoted field unterminated); it may be truncated or garbled',
      ),
    );
  });

  it('refuses truncated gzip and files above the size limit', async () => {
    const gzip = gzipSync(Buffer.from('A,B\n'.repeat(1000)));
    await expect(
      readAll(Readable.from([gzip.subarray(0, gzip.length - 20)])),
    ).rejects.toThrow(/The gzip data is truncated or corrupt/);
    await expect(
      readAll(Readable.from([Buffer.from('A,B\n1,2\n')]), { maxBytes: 4 }),
    ).rejects.toThrow(InputError);
  });
});
