import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import Papa from 'papaparse';

/** The bytes of an export could not be read as CSV (truncated, garbled, not CSV at all). */
export class FocusReadError extends Error {
  name = 'FocusReadError';
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

/** A FOCUS export being read: its records, then the hash and size of its bytes. */
export type FocusRecords = {
  /**
   * Parses the export, handing each record (its fields) to `onRecord` as it is parsed, so memory stays flat
   * whatever the file size. Rejects with a FocusReadError naming the line when the text is not valid CSV.
   */
  parse(onRecord: (fields: string[]) => void): Promise<void>;
  /** SHA-256 of the raw bytes read (once parsed). */
  contentHash(): string;
  bytesRead(): number;
};

/** Opens a FOCUS CSV export (plain or gzip) for streaming, hashing its raw bytes on the way. */
export function readFocusRecords(
  content: Readable,
  options: { maxBytes: number },
): FocusRecords {
  const meter = new ByteMeter(options.maxBytes);
  content.on('error', error => meter.destroy(error));
  content.pipe(meter);
  const text = Readable.from(decompressIfGzip(meter));
  // Decodes UTF-8 across chunk boundaries, so a character split between two chunks survives.
  text.setEncoding('utf8');

  return {
    contentHash: () => meter.hash.copy().digest('hex'),
    bytesRead: () => meter.bytes,
    parse: onRecord =>
      new Promise<void>((resolve, reject) => {
        let line = 0;
        let settled = false;
        const fail = (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error);
        };
        Papa.parse<string[]>(text as unknown as NodeJS.ReadableStream, {
          header: false,
          skipEmptyLines: true,
          step: (results, parser) => {
            if (settled) return;
            line += 1;
            const problem = results.errors[0];
            // Settle before aborting: the parser reports completion from within abort().
            if (problem) {
              fail(
                new FocusReadError(
                  `Line ${line}: the file is not valid CSV (${problem.message}); it may be truncated or garbled`,
                ),
              );
              parser.abort();
              return;
            }
            const fields = results.data;
            if (line === 1 && fields.length > 0) {
              fields[0] = fields[0].replace(/^\uFEFF/, '');
            }
            try {
              onRecord(fields);
            } catch (error) {
              fail(error);
              parser.abort();
            }
          },
          complete: () => {
            if (settled) return;
            settled = true;
            resolve();
          },
          error: (error: Error) => {
            fail(
              error instanceof InputError || error instanceof FocusReadError
                ? error
                : new FocusReadError(
                    `The file could not be read (${error.message})`,
                  ),
            );
          },
        });
      }),
  };
}
