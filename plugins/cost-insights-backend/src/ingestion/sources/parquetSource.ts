import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  AsyncBuffer,
  ColumnData,
  FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  SchemaElement,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { MAX_MAGNITUDE, OK, readDecimal, SCALE } from '../focusDecimal';
import { FocusReadError } from '../readFocusRecords';
import { FocusSource } from './FocusSource';

/**
 * A local file as hyparquet's AsyncBuffer: each slice is one positioned read, so only the footer and the column
 * chunks asked for are ever in memory.
 */
async function openFileBuffer(
  file: string,
): Promise<{ buffer: AsyncBuffer; close(): Promise<void> }> {
  const handle = await fs.promises.open(file, 'r');
  const { size } = await handle.stat();
  return {
    buffer: {
      byteLength: size,
      async slice(start: number, end: number = size) {
        const bytes = new Uint8Array(Math.max(0, end - start));
        let done = 0;
        while (done < bytes.length) {
          const { bytesRead } = await handle.read(
            bytes,
            done,
            bytes.length - done,
            start + done,
          );
          if (bytesRead === 0) throw new Error('the file ends early');
          done += bytesRead;
        }
        return bytes.buffer;
      },
    },
    close: () => handle.close(),
  };
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/** An ISO 8601 text of epoch milliseconds, remembering the last (a column repeats its timestamps row after row). */
function isoWriter(): (ms: number) => string {
  let lastMs = NaN;
  let last = '';
  return ms => {
    if (ms !== lastMs) {
      lastMs = ms;
      last = Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
    }
    return last;
  };
}

const JSON_SAFE = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? value.toString() : value;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

const NOT_UTF8_KEY = '\u0000not UTF-8\u0000';

/**
 * Text bytes that are not UTF-8 (Latin-1 `Caf\xE9`), kept for the row to be refused with its number: hyparquet
 * decodes with a lenient TextDecoder, which turns them into U+FFFD silently, where CSV is refused.
 */
class NotUtf8 {
  constructor(readonly bytes: Uint8Array) {}

  /** What a map key that is not UTF-8 becomes (hyparquet makes map keys object keys). */
  toString(): string {
    return NOT_UTF8_KEY;
  }

  /** The value as Latin-1 would read it, for the message (which value it is). */
  describe(): string {
    if (this.bytes.length === 0) return 'in a map key';
    const latin1 = Buffer.from(this.bytes).toString('latin1');
    return `read as Latin-1: "${
      latin1.length > 40 ? `${latin1.slice(0, 40)}...` : latin1
    }"`;
  }
}

/** Text bytes as a string, or NotUtf8 when they are not UTF-8. */
function strictText(bytes: Uint8Array): string | NotUtf8 {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return new NotUtf8(bytes);
  }
}

/** hyparquet's string and JSON parsers, strict about UTF-8 (merged over its defaults). */
const STRICT_TEXT_PARSERS = {
  stringFromBytes: (bytes: Uint8Array) => bytes && strictText(bytes),
  jsonFromBytes: (bytes: Uint8Array) => {
    if (!bytes) return bytes;
    const text = strictText(bytes);
    return typeof text === 'string' ? JSON.parse(text) : text;
  },
};

/** A Parquet value as the text a CSV export would hold: maps and structs (Tags) as JSON, no value as empty. */
function textOf(value: unknown): string | NotUtf8 {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return strictText(value);
  if (value instanceof NotUtf8) return value;
  let bad: NotUtf8 | undefined;
  const json = JSON.stringify(value, (key, v) => {
    if (v instanceof NotUtf8) bad ??= v;
    // A map key that is not UTF-8 became an object key by its toString().
    else if (key === NOT_UTF8_KEY) bad ??= new NotUtf8(new Uint8Array());
    return JSON_SAFE(key, v);
  });
  return bad ?? json;
}

const BIG_SCALE = BigInt(SCALE);

/** An unscaled integer of a DECIMAL column from its two's-complement big-endian bytes. */
function bigIntOfBytes(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  return bytes.length > 0 && bytes[0] & 0x80 ? value - (1n << bits) : value;
}

/**
 * Reads the unscaled integer of a Parquet DECIMAL (a number, a bigint or big-endian bytes) with its scale into the
 * exact pair of workers/focusDecimal.js, rounding past the 15th decimal half to even as that grammar does. False when
 * its magnitude is 10^15 or more.
 */
export function readUnscaledDecimal(
  unscaled: number | bigint | Uint8Array,
  scale: number,
  out: Float64Array,
  at: number,
): boolean {
  // The common case in doubles: an integer below 2^53 and at most 15 decimals, where % and / are exact.
  const n = typeof unscaled === 'number' ? unscaled : Number.NaN;
  const safe =
    typeof unscaled === 'bigint' &&
    unscaled <= 9007199254740991n &&
    unscaled >= -9007199254740991n
      ? Number(unscaled)
      : n;
  if (Number.isSafeInteger(safe) && scale <= 15) {
    const unit = 10 ** scale;
    const rest = safe % unit;
    const whole = (safe - rest) / unit;
    if (Math.abs(whole) >= MAX_MAGNITUDE) return false;
    out[at] = whole;
    out[at + 1] = rest * 10 ** (15 - scale);
    return true;
  }
  const value =
    unscaled instanceof Uint8Array ? bigIntOfBytes(unscaled) : BigInt(unscaled);
  const unit = 10n ** BigInt(scale);
  let whole = value / unit;
  const rest = value % unit;
  let fraction: bigint;
  if (scale <= 15) fraction = rest * 10n ** BigInt(15 - scale);
  else {
    const drop = 10n ** BigInt(scale - 15);
    fraction = rest / drop;
    const dropped = rest % drop;
    const abs = dropped < 0n ? -dropped : dropped;
    const odd = (fraction < 0n ? -fraction : fraction) % 2n === 1n;
    if (abs * 2n > drop || (abs * 2n === drop && odd)) {
      fraction += value < 0n ? -1n : 1n;
      if (fraction === BIG_SCALE || fraction === -BIG_SCALE) {
        whole += fraction > 0n ? 1n : -1n;
        fraction = 0n;
      }
    }
  }
  if (whole >= BigInt(MAX_MAGNITUDE) || whole <= -BigInt(MAX_MAGNITUDE)) {
    return false;
  }
  out[at] = Number(whole);
  out[at + 1] = Number(fraction);
  return true;
}

/** The text of a DECIMAL's unscaled integer and scale, e.g. 12345 and 2 as 123.45. */
function decimalText(unscaled: number | bigint | Uint8Array, scale: number) {
  const value =
    unscaled instanceof Uint8Array ? bigIntOfBytes(unscaled) : BigInt(unscaled);
  const digits = (value < 0n ? -value : value)
    .toString()
    .padStart(scale + 1, '0');
  const text =
    scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return value < 0n ? `-${text}` : text;
}

/** A DECIMAL column hyparquet would turn into doubles (inexactly): its raw integers are read instead. */
function isRawDecimal(element: SchemaElement): boolean {
  return (
    (element.converted_type === 'DECIMAL' ||
      element.logical_type?.type === 'DECIMAL') &&
    element.type !== 'BYTE_ARRAY'
  );
}

/** The scale of a DECIMAL column. */
function scaleOf(element: SchemaElement): number {
  const logical = element.logical_type as { scale?: number } | undefined;
  return element.scale ?? logical?.scale ?? 0;
}

/**
 * The metadata with DECIMAL columns left as their raw integers: hyparquet converts them to doubles, which holds
 * no more than 15 to 17 significant digits; Forge reads them exactly (readUnscaledDecimal).
 */
function withRawDecimals(metadata: FileMetaData): FileMetaData {
  return {
    ...metadata,
    schema: metadata.schema.map(element =>
      isRawDecimal(element)
        ? { ...element, converted_type: undefined, logical_type: undefined }
        : element,
    ),
  };
}

/** The pieces of one column within a row group, read in row order. */
class ColumnCursor {
  private readonly pieces: ColumnData[] = [];
  private piece = 0;

  add(data: ColumnData) {
    this.pieces.push(data);
  }

  /** Sorts the pieces and checks they cover the rows of the group. */
  ready(groupStart: number, groupEnd: number): boolean {
    this.pieces.sort((a, b) => a.rowStart - b.rowStart);
    this.piece = 0;
    let at = groupStart;
    for (const p of this.pieces) {
      if (p.rowStart > at) return false;
      at = Math.max(at, p.rowEnd);
    }
    return at >= groupEnd;
  }

  /** The value of a row; rows are asked for in increasing order. */
  at(row: number): unknown {
    let p = this.pieces[this.piece];
    while (row >= p.rowEnd) p = this.pieces[++this.piece];
    return p.columnData[row - p.rowStart];
  }
}

/**
 * A local FOCUS export in Parquet (AWS and Azure both offer it) as a {@link FocusSource}, read with hyparquet. Only
 * the columns Forge reads are decoded, one row group at a time, so memory grows with the largest row group, never
 * with the file. Values reach the row reader as a CSV export would hold them: decimals as exact pairs (DECIMAL
 * columns from their integers, DOUBLE ones as the decimal they print as, e.g. 0.1), timestamps in ISO 8601 (UTC),
 * maps and structs such as Tags as JSON, no value as empty. Rows are numbered from 1.
 */
export function parquetFileSource(file: string): FocusSource {
  let hash = '';
  let bytes = 0;
  return {
    contentHash: () => hash,
    bytesRead: () => bytes,
    async read(sink) {
      hash = await sha256OfFile(file);
      bytes = (await fs.promises.stat(file)).size;
      const { buffer, close } = await openFileBuffer(file);
      try {
        await readParquet(buffer, sink);
      } catch (error) {
        if (error instanceof FocusReadError) throw error;
        throw new FocusReadError(
          `The Parquet file could not be read (${
            (error as Error).message
          }); it may be truncated or not Parquet`,
        );
      } finally {
        await close();
      }
    },
  };
}

async function readParquet(
  buffer: AsyncBuffer,
  sink: Parameters<FocusSource['read']>[0],
): Promise<void> {
  if (buffer.byteLength < 12) {
    throw new FocusReadError('The file is too short to be Parquet');
  }
  const magic = new Uint8Array(await buffer.slice(0, 4));
  if (String.fromCharCode(...magic) !== 'PAR1') {
    throw new FocusReadError(
      'The file is not Parquet (it does not start with PAR1)',
    );
  }
  const original = await parquetMetadataAsync(buffer);
  const metadata = withRawDecimals(original);
  const top = parquetSchema(original).children.map(c => c.element);
  const names = top.map(e => e.name);
  const selection = sink.header(names, undefined);
  const read = selection.columns.filter(i => i >= 0 && i < names.length);
  const numeric = new Set(selection.numeric ?? []);
  const decimalScale = new Map<number, number>();
  for (const i of read) {
    if (numeric.has(i) && isRawDecimal(top[i])) {
      decimalScale.set(i, scaleOf(top[i]));
    }
  }

  const iso = new Map<number, (ms: number) => string>();
  const isoFor = (kind: number) => {
    let writer = iso.get(kind);
    if (!writer) iso.set(kind, (writer = isoWriter()));
    return writer;
  };
  const parsers = {
    timestampFromMilliseconds: (ms: bigint) => isoFor(0)(Number(ms)),
    timestampFromMicroseconds: (us: bigint) => isoFor(1)(Number(us) / 1000),
    timestampFromNanoseconds: (ns: bigint) => isoFor(2)(Number(ns / 1000000n)),
    dateFromDays: (days: number) => isoFor(3)(days * 86_400_000),
  };

  const fields: Array<string | number> = new Array(names.length).fill('');
  const fractions = new Float64Array(names.length);
  const pair = new Float64Array(2);
  /** Decodes the columns read of the rows of one row group. */
  const readGroup = async (groupStart: number, groupEnd: number) => {
    const cursors = new Map<string, ColumnCursor>(
      read.map(i => [names[i], new ColumnCursor()]),
    );
    await parquetRead({
      file: buffer,
      metadata,
      columns: read.map(i => names[i]),
      rowStart: groupStart,
      rowEnd: groupEnd,
      compressors,
      parsers: { ...parsers, ...STRICT_TEXT_PARSERS },
      onChunk: chunk => cursors.get(chunk.columnName)?.add(chunk),
    });
    return read.map(i => {
      const cursor = cursors.get(names[i])!;
      if (!cursor.ready(groupStart, groupEnd)) {
        throw new FocusReadError(
          `column ${
            names[i]
          } is missing rows in the row group starting at row ${groupStart + 1}`,
          groupStart + 1,
        );
      }
      return cursor;
    });
  };

  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const columns = await readGroup(groupStart, groupEnd);
    for (let row = groupStart; row < groupEnd; row++) {
      for (let k = 0; k < read.length; k++) {
        const i = read[k];
        const value = columns[k].at(row);
        if (numeric.has(i)) {
          const scale = decimalScale.get(i);
          if (scale !== undefined) {
            const unscaled = value as number | bigint | Uint8Array | null;
            if (unscaled === null || unscaled === undefined) fields[i] = '';
            else if (readUnscaledDecimal(unscaled, scale, pair, 0)) {
              fields[i] = pair[0];
              fractions[i] = pair[1];
            } else {
              // Too large: as text, for the row reader to refuse with its message.
              fields[i] = decimalText(unscaled, scale);
            }
            continue;
          }
          if (typeof value === 'number' && Number.isFinite(value)) {
            const text = String(value);
            if (readDecimal(text, 0, text.length, pair, 0) === OK) {
              fields[i] = pair[0];
              fractions[i] = pair[1];
              continue;
            }
          }
        }
        const text = textOf(value);
        if (text instanceof NotUtf8) {
          throw new FocusReadError(
            `Row ${row + 1}: the text of column ${
              names[i]
            } is not UTF-8 (${text.describe()}). Parquet text must be UTF-8: write the export again from its source, not from a file re-encoded as Latin-1 or Windows-1252`,
            row + 1,
          );
        }
        fields[i] = text;
      }
      sink.row(fields, fractions, row + 1, 1);
    }
    groupStart = groupEnd;
  }
}
