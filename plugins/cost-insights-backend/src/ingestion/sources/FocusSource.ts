import { createHash } from 'node:crypto';
import type { FocusFields } from '../FocusRowReader';
import type { ColumnSelection } from '../readFocusRecords';
import type { DayRange } from './exportManifests';
import { FocusReadError } from '../readFocusRecords';

/**
 * Receives the records of a FOCUS source as they are read. A source made of several files (an export's parts) calls
 * `header` once per file, before that file's rows.
 */
export interface FocusRowSink {
  /**
   * The column names of a file, in order; answers the positions the sink reads (a source may leave the other fields
   * empty) and those holding decimals (which a source may hand over already read, see FocusFields).
   */
  header(columns: string[], file: string | undefined): ColumnSelection;
  /**
   * A row. `line` is where it is in its file: the CSV line (the header being 1), or the 1-based row of a Parquet file
   * or query result. `weight` is how many billing lines the row stands for (1, or a query's x_RowCount). The arrays
   * are the source's and are rewritten by the next row.
   */
  row(
    fields: FocusFields,
    fractions: Float64Array | undefined,
    line: number,
    weight: number,
  ): void;
}

/** Something Forge ingests as one whole: a file, an export's snapshot of several files, a query's result. */
export interface FocusSource {
  /** Reads every record into the sink, streaming; rejects with a FocusReadError when the bytes cannot be read. */
  read(sink: FocusRowSink): Promise<void>;
  /** SHA-256 of what was read (once read). */
  contentHash(): string;
  /** How many bytes were read (once read), when the source reads bytes. */
  bytesRead?(): number;
  /**
   * The days the source declares it covers (an Azure export's runInfo): of a billing period it covers only in part,
   * only those days are replaced. Without it, every billing period the source touches is replaced whole.
   */
  coverage?: DayRange;
}

/** One file of an export, opened when its turn comes. */
export type FocusPart = {
  /** How records and messages name it: `inbox/...`, or a URL without its query. */
  name: string;
  /** Its size as the manifest states it, checked once read (Azure manifests give each part's byteCount). */
  bytes?: number;
  open(): Promise<FocusSource>;
};

/** Whether a value is a FocusSource rather than a byte stream. */
export function isFocusSource(value: unknown): value is FocusSource {
  return (
    typeof (value as FocusSource).read === 'function' &&
    typeof (value as FocusSource).contentHash === 'function'
  );
}

/**
 * The files of one export snapshot read as one source, in order: their rows are ingested together, all or nothing.
 * The hash is that of the files' hashes, in order. A file that cannot be read fails the whole source, and the message
 * names the file. The parts of a snapshot partition its lines, so a part listed twice, or two parts with the same
 * rows under different names (a part re-delivered), would count those lines twice: the snapshot is refused instead.
 */
export function multiPartSource(
  parts: FocusPart[],
  coverage?: DayRange,
): FocusSource {
  const hash = createHash('sha256');
  return {
    ...(coverage ? { coverage } : {}),
    contentHash: () => hash.copy().digest('hex'),
    async read(sink) {
      const listed = new Set<string>();
      for (const part of parts) {
        if (listed.has(part.name)) {
          throw new FocusReadError(
            `The manifest lists ${part.name} twice; its lines would be counted twice. The export is refused until its manifest lists each file once`,
            undefined,
            part.name,
          );
        }
        listed.add(part.name);
      }
      /** The parts read so far that held rows, by content hash. */
      const partOfHash = new Map<string, string>();
      for (const part of parts) {
        let source: FocusSource;
        let rows = 0;
        try {
          source = await part.open();
          await source.read({
            header: columns => sink.header(columns, part.name),
            row: (fields, fractions, line, weight) => {
              rows += 1;
              sink.row(fields, fractions, line, weight);
            },
          });
        } catch (error) {
          if (error instanceof FocusReadError && !error.file) {
            throw new FocusReadError(
              `${part.name}: ${error.message}`,
              error.row,
              part.name,
            );
          }
          throw error;
        }
        const read = source.bytesRead?.();
        if (
          part.bytes !== undefined &&
          read !== undefined &&
          read !== part.bytes
        ) {
          throw new FocusReadError(
            `${part.name}: ${read} bytes were read where the manifest says ${part.bytes}; the snapshot is incomplete or was rewritten while read, and is read again on the next scan`,
            undefined,
            part.name,
          );
        }
        const partHash = source.contentHash();
        const same = partOfHash.get(partHash);
        if (rows > 0 && same !== undefined) {
          throw new FocusReadError(
            `${part.name} has the same content as ${same}, in the same snapshot; its lines would be counted twice. The export is refused until the duplicate file is removed from its manifest`,
            undefined,
            part.name,
          );
        }
        if (rows > 0) partOfHash.set(partHash, part.name);
        hash.update(`${part.name}\n${partHash}\n`);
      }
    },
  };
}

/** A source that refuses at once, so that a broken manifest leaves a record saying why. */
export function refusedSource(error: Error): FocusSource {
  return {
    contentHash: () => '',
    read: () => Promise.reject(error),
  };
}
