import {
  DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBType,
  DuckDBTypeId,
  DuckDBValue,
  DuckDBVector,
  StatementType,
} from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FocusFileError } from '../FocusRowReader';
import { FocusReadError } from '../readFocusRecords';
import { FocusSource } from './FocusSource';
import { readUnscaledDecimal } from './parquetSource';

/** The engines a query source may name; only DuckDB runs inside Forge (docs/cost.md shows the others' queries). */
export const QUERY_ENGINES = [
  'duckdb',
  'bigquery',
  'athena',
  'snowflake',
  'databricks',
] as const;

/** A configured query returning daily FOCUS aggregates (`forge.cost.ingestion.queries`). */
export type CostQuery = {
  name: string;
  engine: (typeof QUERY_ENGINES)[number];
  sql: string;
  /** Local files and folders (or object-store prefixes such as s3://bucket/focus/) the query may read; nothing else. */
  paths: string[];
  /** DuckDB extensions loaded before the configuration is locked (e.g. httpfs); they must be installed. */
  extensions: string[];
  memoryLimit: string;
  threads: number;
  timeoutSeconds: number;
  /** The query runs again after this long even when its local files did not change. */
  refreshMinutes: number;
};

/** The column a query may add to say how many billing lines a row sums. */
const ROW_COUNT_COLUMN = 'x_rowcount';

const JSON_SAFE = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? value.toString() : value;

function isoOfMicros(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}

/** A value as JSON-ready data (for maps, structs and lists, which FOCUS Tags may be). */
function plain(value: DuckDBValue): unknown {
  if (value instanceof DuckDBMapValue) {
    return Object.fromEntries(
      value.entries.map(e => [String(plain(e.key)), plain(e.value)]),
    );
  }
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(
      Object.entries(value.entries).map(([k, v]) => [k, plain(v)]),
    );
  }
  if (value instanceof DuckDBListValue) return value.items.map(plain);
  if (value === null || typeof value !== 'object') return value;
  return String(value);
}

/**
 * A result value as the text a CSV export would hold: DECIMAL exactly as DuckDB writes it, timestamps in ISO 8601
 * UTC, dates as YYYY-MM-DD, maps and structs (Tags) as JSON, no value as empty.
 */
export function textOfDuckDBValue(value: DuckDBValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean'
  ) {
    return String(value);
  }
  if (
    value instanceof DuckDBTimestampValue ||
    value instanceof DuckDBTimestampTZValue
  ) {
    return isoOfMicros(value.micros);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) {
    return new Date(Number(value.millis)).toISOString();
  }
  if (value instanceof DuckDBTimestampSecondsValue) {
    return new Date(Number(value.seconds) * 1000).toISOString();
  }
  if (value instanceof DuckDBTimestampNanosecondsValue) {
    return new Date(Number(value.nanos / 1000000n)).toISOString();
  }
  if (value instanceof DuckDBDecimalValue || value instanceof DuckDBDateValue) {
    return value.toString();
  }
  if (
    value instanceof DuckDBMapValue ||
    value instanceof DuckDBStructValue ||
    value instanceof DuckDBListValue
  ) {
    return JSON.stringify(plain(value), JSON_SAFE);
  }
  return String(value);
}

/** Reads one result column of a row into the fields (and fractions) handed to the sink. */
type ColumnReader = {
  column: number;
  read(
    vector: DuckDBVector,
    row: number,
    fields: Array<string | number>,
    fractions: Float64Array,
  ): void;
};

/**
 * Readers of the columns the sink reads (and x_RowCount). A DECIMAL column the sink reads as a number is handed over
 * as the exact pair of workers/focusDecimal.js straight from DuckDB's scaled integer (no text to write and parse
 * again); one too large for it goes as text, for the reader to refuse with its message. Timestamps are written once
 * per distinct value (a day's aggregates share a handful). Everything else is its text, as textOfDuckDBValue writes it.
 */
function columnReaders(
  types: DuckDBType[],
  selected: number[],
  numeric: Set<number>,
  weightAt: number,
): ColumnReader[] {
  const wanted = [
    ...new Set(weightAt >= 0 ? [...selected, weightAt] : selected),
  ];
  return wanted.map((column): ColumnReader => {
    const type = types[column];
    if (type.typeId === DuckDBTypeId.DECIMAL && numeric.has(column)) {
      const { scale } = type;
      const pair = new Float64Array(2);
      return {
        column,
        read(vector, row, fields, fractions) {
          const scaled = (
            vector as unknown as {
              getScaledValue(i: number): number | bigint | null;
            }
          ).getScaledValue(row);
          if (scaled !== null && readUnscaledDecimal(scaled, scale, pair, 0)) {
            fields[column] = pair[0];
            fractions[column] = pair[1];
          } else {
            fields[column] = textOfDuckDBValue(vector.getItem(row));
          }
        },
      };
    }
    if (type.typeId === DuckDBTypeId.TIMESTAMP) {
      const written = new Map<number, string>();
      return {
        column,
        read(vector, row, fields) {
          const value = vector.getItem(row) as DuckDBTimestampValue | null;
          if (value === null) {
            fields[column] = '';
            return;
          }
          const micros = Number(value.micros);
          let text = written.get(micros);
          if (text === undefined) {
            text = textOfDuckDBValue(value);
            if (written.size > 10_000) written.clear();
            written.set(micros, text);
          }
          fields[column] = text;
        },
      };
    }
    return {
      column,
      read(vector, row, fields) {
        fields[column] = textOfDuckDBValue(vector.getItem(row));
      },
    };
  });
}

/** A DuckDB string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The paths a query may read, as DuckDB's allowed_directories (folders, object-store prefixes) and allowed_paths
 * (single files). Local paths are resolved against the working directory, as the inbox folder is.
 */
function allowedPaths(paths: string[]): {
  directories: string[];
  files: string[];
} {
  const directories: string[] = [];
  const files: string[] = [];
  for (const p of paths) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
      directories.push(p.endsWith('/') ? p : `${p}/`);
      continue;
    }
    const resolved = path.resolve(p);
    let isFile = false;
    try {
      isFile = fs.statSync(resolved).isFile();
    } catch {
      // A folder not there yet: allowed as a folder, the query then finds nothing in it.
    }
    if (isFile) files.push(resolved);
    else directories.push(`${resolved}${path.sep}`);
  }
  return { directories, files };
}

/**
 * Opens the query's own DuckDB: in memory (nothing is written anywhere), with no extension installed or loaded
 * behind Forge's back, external access limited to the configured paths, bounded memory and threads, UTC as its time
 * zone whatever the server's, and the configuration locked, so the query cannot widen any of it.
 */
async function openSandbox(
  query: CostQuery,
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    threads: String(query.threads),
    memory_limit: query.memoryLimit,
  });
  const connection = await instance.connect();
  try {
    for (const extension of query.extensions) {
      await connection.run(`LOAD ${extension}`);
    }
    const { directories, files } = allowedPaths(query.paths);
    await connection.run(
      `SET allowed_directories = [${directories.map(literal).join(', ')}]`,
    );
    await connection.run(
      `SET allowed_paths = [${files.map(literal).join(', ')}]`,
    );
    await connection.run('SET enable_external_access = false');
    // DuckDB takes its default zone from the server's (TZ): a TIMESTAMPTZ truncated to a day would be the server's
    // local day, and a charge would count on another day than its UTC day (docs/cost.md).
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run('SET lock_configuration = true');
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return { instance, connection };
}

/** A DuckDB error as the ingestion record shows it: its first line. */
function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0];
}

/**
 * A configured SQL query run on DuckDB as a {@link FocusSource}: the engine aggregates the billing lines (of local
 * or object-store Parquet and CSV), Forge reads the daily aggregates. The query must be one read-only statement (a
 * SELECT, checked on the prepared statement) returning FOCUS columns by name, one row per day and the dimensions the
 * rollups keep, with the costs and quantity summed (docs/cost.md gives the query); an `x_RowCount` column may say how
 * many billing lines a row sums. Its rows go through the same validation, attribution and exact sums as an export's,
 * streamed chunk by chunk, and the billing periods it covers are replaced as a file's are. It is interrupted after
 * `timeoutSeconds`.
 */
export function duckdbQuerySource(query: CostQuery): FocusSource {
  const hash = createHash('sha256').update(query.sql);
  return {
    contentHash: () => hash.copy().digest('hex'),
    async read(sink) {
      const { instance, connection } = await openSandbox(query);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
      }, query.timeoutSeconds * 1000);
      timer.unref?.();
      const failed = (error: unknown, what: string) =>
        new FocusReadError(
          timedOut
            ? `The query of ${query.name} ran longer than ${query.timeoutSeconds} s (timeoutSeconds) and was stopped`
            : `The query of ${query.name} ${what}: ${firstLine(error)}`,
        );
      try {
        let prepared;
        try {
          const statements = await connection.extractStatements(query.sql);
          if (statements.count !== 1) {
            throw new FocusFileError(
              `The query of ${query.name} holds ${statements.count} statements; it must be exactly one SELECT`,
            );
          }
          prepared = await statements.prepare(0);
        } catch (error) {
          if (error instanceof FocusFileError) throw error;
          throw new FocusFileError(
            `The query of ${query.name} cannot run: ${firstLine(error)}`,
          );
        }
        if (prepared.statementType !== StatementType.SELECT) {
          throw new FocusFileError(
            `The query of ${query.name} is not a SELECT; Forge runs read-only queries only`,
          );
        }
        let result;
        try {
          result = await prepared.stream();
        } catch (error) {
          throw failed(error, 'failed');
        }
        const columns = result.columnNames();
        const selection = sink.header(columns, undefined);
        const weightAt = columns.findIndex(
          c => c.toLowerCase() === ROW_COUNT_COLUMN,
        );
        const readers = columnReaders(
          result.columnTypes(),
          selection.columns.filter(i => i >= 0 && i < columns.length),
          new Set(selection.numeric ?? []),
          weightAt,
        );
        const fields: Array<string | number> = new Array(columns.length).fill(
          '',
        );
        const fractions = new Float64Array(columns.length);
        const fractionBytes = new Uint8Array(fractions.buffer);
        let line = 0;
        for (;;) {
          let chunk;
          try {
            chunk = await result.fetchChunk();
          } catch (error) {
            throw failed(error, 'failed');
          }
          if (!chunk || chunk.rowCount === 0) break;
          // Column by column from DuckDB's vectors: no row arrays or value objects per row.
          const vectors = readers.map(r => chunk.getColumnVector(r.column));
          for (let row = 0; row < chunk.rowCount; row++) {
            line += 1;
            for (let k = 0; k < readers.length; k++) {
              readers[k].read(vectors[k], row, fields, fractions);
            }
            let weight = 1;
            if (weightAt >= 0) {
              weight = Number(fields[weightAt]);
              if (!Number.isSafeInteger(weight) || weight < 0) {
                throw new FocusReadError(
                  `Row ${line}: x_RowCount "${fields[weightAt]}" is not a count of billing lines`,
                  line,
                );
              }
            }
            hash.update(fields.join('\u0001'));
            hash.update(fractionBytes);
            sink.row(fields, fractions, line, weight);
          }
        }
      } finally {
        clearTimeout(timer);
        connection.closeSync();
        instance.closeSync();
      }
    },
  };
}
