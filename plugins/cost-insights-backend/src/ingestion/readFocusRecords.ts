import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import type { FocusFields } from './FocusRowReader';
import type { FocusSource } from './sources/FocusSource';
import { createGunzip } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { readErrorMessage } from './serverPaths';

/**
 * The bytes of an export could not be read (truncated, garbled, not CSV at all, not UTF-8, not Parquet). `row` is the
 * record at fault when known, the header being 1; `file` the file of an export of several.
 */
export class FocusReadError extends Error {
  name = 'FocusReadError';
  constructor(message: string, readonly row?: number, readonly file?: string) {
    super(message);
  }
}

/** Hashes and counts the bytes going through, refusing more than `maxBytes`. */
class ByteMeter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(
        new InputError(
          `The file is larger than the ${this.maxBytes} bytes allowed (forge.cost.ingestion.maxUploadBytes)`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/** Passes plain bytes through and gunzips a gzip stream, recognised by its magic number. */
async function* decompressIfGzip(
  input: AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest = (async function* restOf() {
    yield first.value as Buffer;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  })();
  const head = first.value as Buffer;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const source = Readable.from(rest);
    const gunzip = createGunzip();
    source.on('error', error => gunzip.destroy(error));
    try {
      yield* source.pipe(gunzip);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new FocusReadError(
        `The gzip data is truncated or corrupt (${(error as Error).message})`,
      );
    }
  } else {
    yield* rest;
  }
}

function isUtf8Label(label: string): boolean {
  return new TextDecoder(label).encoding === 'utf-8';
}

/**
 * Whether an encoding label is one Forge can transcode from (the WHATWG Encoding Standard's labels, as TextDecoder
 * knows them: windows-1252, iso-8859-1, utf-16le, shift_jis...).
 */
export function isKnownEncoding(label: string): boolean {
  try {
    return Boolean(new TextDecoder(label));
  } catch {
    return false;
  }
}

/** Bytes in a declared encoding, as UTF-8 bytes. */
async function* transcodeToUtf8(
  input: AsyncIterable<Buffer>,
  encoding: string,
): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  try {
    for await (const chunk of input) {
      yield Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8');
    }
    yield Buffer.from(decoder.decode(), 'utf8');
  } catch (error) {
    if (error instanceof TypeError) {
      throw new FocusReadError(
        `The bytes are not valid ${encoding}, the encoding the export declares`,
      );
    }
    throw error;
  }
}

/** A FOCUS export being read: its records, then the hash and size of its bytes. */
export type FocusRecords = {
  /**
   * Parses the export, handing each record (its fields) to `onRecord` as it is parsed, so memory stays flat
   * whatever the file size. The first record is the header; `columnsToRead`, called after it, names the positions
   * the caller reads (the other fields of later records are empty) and those holding decimals, which arrive as
   * their whole units (a number in `fields`) and their fraction in 10^-15 (at the same position in `fractions`)
   * when the FOCUS decimal grammar accepts them (workers/focusDecimal.js), as text otherwise. The arrays of a
   * record are reused for the next one. Rejects with a FocusReadError naming the line when the text is not valid
   * CSV or not UTF-8.
   */
  parse(
    onRecord: (fields: FocusFields, fractions: Float64Array) => void,
    columnsToRead?: (header: string[]) => ColumnSelection,
  ): Promise<void>;
  /** SHA-256 of the raw bytes read (once parsed). */
  contentHash(): string;
  bytesRead(): number;
};

/** The columns a reader reads, by position, and which of them hold decimals. */
export type ColumnSelection = { columns: number[]; numeric?: number[] };

/** Id of a value the parser sent as a number. */
const NUMBER = -2;

type FromParser =
  | { type: 'more' }
  | { type: 'header'; fields: string[] }
  | {
      type: 'batch';
      rows: number;
      counts: Int32Array;
      ids: Int32Array;
      numbers: Float64Array;
      added: string[][];
      reset: number[];
    }
  | { type: 'error'; line: number; message: string; encoding: boolean }
  | { type: 'done' };

const PARSER_PATH = resolvePackagePath(
  '@internal/plugin-cost-insights-backend',
  'workers/focusParser.js',
);

/**
 * Opens a FOCUS CSV export (plain or gzip) for streaming, hashing its raw bytes on the way. The bytes are read,
 * hashed and gunzipped here, then decoded and parsed on a worker thread (workers/focusParser.js explains why), which sends rows
 * back as dictionary ids of the columns read.
 */
export function readFocusRecords(
  content: Readable,
  options: {
    maxBytes: number;
    /** Distinct values per column the parser keeps before starting over (tests make it small). */
    dictionaryLimit?: number;
    /**
     * The text encoding the export declares (an upload's `charset`), when not UTF-8: the bytes are transcoded to
     * UTF-8 on the way in. Undeclared text must be UTF-8; other bytes are refused with their line.
     */
    encoding?: string;
  },
): FocusRecords {
  const meter = new ByteMeter(options.maxBytes);
  content.on('error', error => meter.destroy(error));
  // A stream that failed before it was handed over (an upload stopped at its size limit) fails the read at once.
  if (content.errored) meter.destroy(content.errored);
  else content.pipe(meter);
  const plain = decompressIfGzip(meter);
  const chunks = (
    options.encoding && !isUtf8Label(options.encoding)
      ? transcodeToUtf8(plain, options.encoding)
      : plain
  )[Symbol.asyncIterator]();

  return {
    contentHash: () => meter.hash.copy().digest('hex'),
    bytesRead: () => meter.bytes,
    parse: (onRecord, columnsToRead) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(PARSER_PATH, {
          workerData: { dictionaryLimit: options.dictionaryLimit },
        });
        let settled = false;
        const settle = (error?: unknown) => {
          if (settled) return;
          settled = true;
          worker.terminate().catch(() => {});
          if (error) reject(error);
          else resolve();
        };
        let columns: number[] = [];
        let width = 0;
        let dictionaries: string[][] = [];
        let record: Array<string | number> = [];
        let fractions = new Float64Array(0);
        let numericSlot: number[] = [];
        let numericWidth = 0;

        let ended = false;
        const pump = async () => {
          try {
            if (ended) return;
            const next = await chunks.next();
            if (settled) return;
            if (next.done) {
              ended = true;
              worker.postMessage({ type: 'end' });
            } else {
              // A copy of just these bytes, moved rather than cloned. Never the chunk's own buffer: whoever made
              // the stream may still hold it (a test's fixture, a cached demo export), and moving detaches it.
              const bytes = new Uint8Array(next.value as Buffer);
              worker.postMessage({ type: 'chunk', bytes }, [bytes.buffer]);
            }
          } catch (error) {
            settle(
              error instanceof InputError || error instanceof FocusReadError
                ? error
                : new FocusReadError(
                    (error as NodeJS.ErrnoException)?.code
                      ? readErrorMessage(error)
                      : `The file could not be read (${
                          (error as Error).message
                        })`,
                  ),
            );
          }
        };

        const onBatch = (batch: Extract<FromParser, { type: 'batch' }>) => {
          for (const j of batch.reset) dictionaries[j] = [];
          for (let j = 0; j < width; j++) {
            const added = batch.added[j];
            const dictionary = dictionaries[j];
            for (let k = 0; k < added.length; k++) dictionary.push(added[k]);
          }
          const { counts, ids, numbers } = batch;
          for (let r = 0; r < batch.rows; r++) {
            const count = counts[r];
            let fields = record;
            if (count !== record.length) fields = new Array(count).fill('');
            const base = r * width;
            for (let j = 0; j < width; j++) {
              const id = ids[base + j];
              if (id >= 0) fields[columns[j]] = dictionaries[j][id];
              else if (id === NUMBER) {
                const at = (r * numericWidth + numericSlot[j]) * 2;
                fields[columns[j]] = numbers[at];
                fractions[columns[j]] = numbers[at + 1];
              }
            }
            onRecord(fields, fractions);
          }
        };

        // Chunks the worker may hold ahead of its parser.
        const CREDIT = 64;
        let requested = Promise.resolve();
        const request = () => {
          // One chunk at a time off the stream, in order.
          requested = requested.then(pump);
        };
        for (let i = 0; i < CREDIT; i++) request();

        worker.on('message', (message: FromParser) => {
          if (settled) return;
          try {
            switch (message.type) {
              case 'more':
                request();
                break;
              case 'header': {
                onRecord(message.fields, fractions);
                const count = message.fields.length;
                const selection = columnsToRead?.(message.fields) ?? {
                  columns: message.fields.map((_, i) => i),
                };
                columns = selection.columns.filter(i => i >= 0 && i < count);
                const decimals = new Set(selection.numeric ?? []);
                width = columns.length;
                let slots = 0;
                numericSlot = columns.map(i =>
                  decimals.has(i) ? slots++ : -1,
                );
                numericWidth = slots;
                dictionaries = columns.map(() => []);
                record = new Array(count).fill('');
                fractions = new Float64Array(count);
                worker.postMessage({ type: 'columns', columns, numericSlot });
                break;
              }
              case 'batch':
                onBatch(message);
                worker.postMessage({ type: 'ack' });
                break;
              case 'error':
                settle(
                  message.encoding
                    ? new FocusReadError(
                        `Line ${message.line}: the text is not UTF-8 (${message.message}). Save the export as UTF-8, or upload it with its encoding declared (Content-Type: text/csv; charset=windows-1252)`,
                        message.line,
                      )
                    : new FocusReadError(
                        `Line ${message.line}: the file is not valid CSV (${message.message}); it may be truncated or garbled`,
                        message.line,
                      ),
                );
                break;
              case 'done':
                settle();
                break;
              default:
                break;
            }
          } catch (error) {
            settle(error);
          }
        });
        // The parser thread failing is not the file's fault: a plain error, so the ingestion is failed, not rejected.
        worker.on('error', (error: Error) =>
          settle(new Error(`The CSV parser thread failed: ${error.message}`)),
        );
        worker.on('exit', code => {
          if (!settled)
            settle(
              new Error(`The CSV parser stopped early (exit code ${code})`),
            );
        });
      }),
  };
}

/**
 * A FOCUS CSV export (plain or gzip) as a {@link FocusSource}: the bytes stream through readFocusRecords (hashed,
 * gunzipped, decoded and scanned on the parser thread); rows carry their line, the header being line 1.
 */
export function csvFocusSource(
  content: Readable,
  options: Parameters<typeof readFocusRecords>[1],
): FocusSource {
  const records = readFocusRecords(content, options);
  return {
    contentHash: records.contentHash,
    bytesRead: records.bytesRead,
    async read(sink) {
      let line = 0;
      let header = false;
      await records.parse(
        (fields, fractions) => {
          line += 1;
          if (line > 1) sink.row(fields, fractions, line, 1);
        },
        columns => {
          header = true;
          return sink.header(columns, undefined);
        },
      );
      if (!header) {
        throw new FocusReadError(
          'The file is empty; a FOCUS export starts with a header line naming its columns',
        );
      }
    },
  };
}
