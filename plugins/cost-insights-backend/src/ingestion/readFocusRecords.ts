import { InputError } from '@backstage/errors';
import { CsvError, parse } from 'csv-parse';
import { createHash } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';

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

/**
 * Streams the records of a FOCUS CSV export (plain or gzip), each as its array of fields, while hashing the
 * raw bytes. Memory stays flat: records are yielded as they are parsed.
 */
export function readFocusRecords(
  content: Readable,
  options: { maxBytes: number },
): {
  records: AsyncIterable<string[]>;
  contentHash: () => string;
  bytesRead: () => number;
} {
  const meter = new ByteMeter(options.maxBytes);
  content.on('error', error => meter.destroy(error));
  content.pipe(meter);
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
  });
  const decompressed = Readable.from(decompressIfGzip(meter));
  decompressed.on('error', error => parser.destroy(error));
  decompressed.pipe(parser);

  async function* records(): AsyncGenerator<string[]> {
    try {
      for await (const record of parser) yield record as string[];
    } catch (error) {
      if (error instanceof InputError || error instanceof FocusReadError) {
        throw error;
      }
      if (error instanceof CsvError) {
        const lines = (error as CsvError & { lines?: number }).lines;
        // The parser quotes the offending value, which in a garbled file is binary noise: leave it out.
        const what = error.message.split(/,? value is /)[0].slice(0, 200);
        throw new FocusReadError(
          `${
            lines ? `Line ${lines}: ` : ''
          }the file is not valid CSV (${what}); it may be truncated or garbled`,
        );
      }
      throw error;
    }
  }

  return {
    records: records(),
    contentHash: () => meter.hash.copy().digest('hex'),
    bytesRead: () => meter.bytes,
  };
}
