import { UrlReaderService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvFocusSource } from '../readFocusRecords';
import { FocusPart, FocusSource } from './FocusSource';
import { parquetFileSource } from './parquetSource';

/** A Parquet export: read by its footer, so it needs random access. */
export const PARQUET_FILE = /\.parquet$/i;

/** The bytes at a URL, as the URL reader streams them. */
async function readStream(
  urlReader: UrlReaderService,
  url: string,
): Promise<Readable> {
  const response = await urlReader.readUrl(url);
  return response.stream
    ? response.stream()
    : Readable.from([await response.buffer()]);
}

/** Refuses more than `maxBytes`. */
function limit(maxBytes: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        done(
          new InputError(
            `The file is larger than the ${maxBytes} bytes allowed (forge.cost.ingestion.maxUploadBytes)`,
          ),
        );
      } else done(null, chunk);
    },
  });
}

/**
 * A Parquet file as a source, whatever stream it comes from: Parquet is read from its footer backwards, which a
 * stream cannot do, so the bytes are first written to a private temporary file (at most `maxBytes`), read from
 * there one row group at a time, and the file removed.
 */
export function streamedParquetSource(
  open: () => Promise<Readable>,
  maxBytes: number,
): FocusSource {
  let inner: FocusSource | undefined;
  return {
    contentHash: () => inner?.contentHash() ?? '',
    bytesRead: () => inner?.bytesRead?.() ?? 0,
    async read(sink) {
      const dir = await fs.promises.mkdtemp(
        path.join(os.tmpdir(), 'forge-cost-parquet-'),
      );
      try {
        const file = path.join(dir, 'export.parquet');
        await pipeline(
          await open(),
          limit(maxBytes),
          fs.createWriteStream(file, { mode: 0o600 }),
        );
        inner = parquetFileSource(file);
        await inner.read(sink);
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A file at a URL (CSV, CSV.gz or Parquet, told by its name) as a part of an export. */
export function urlPart(options: {
  urlReader: UrlReaderService;
  url: string;
  name: string;
  bytes?: number;
  maxBytes: number;
}): FocusPart {
  const { urlReader, url, maxBytes } = options;
  const pathname = new URL(url).pathname;
  return {
    name: options.name,
    bytes: options.bytes,
    open: async () =>
      PARQUET_FILE.test(pathname)
        ? streamedParquetSource(() => readStream(urlReader, url), maxBytes)
        : csvFocusSource(await readStream(urlReader, url), { maxBytes }),
  };
}
