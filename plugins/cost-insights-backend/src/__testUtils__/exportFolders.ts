// Writes FOCUS exports the way AWS Data Exports and Azure Cost Management lay them out (docs/cost.md, "Exports with a
// manifest"), in CSV, gzip CSV or Parquet. Parquet is written by DuckDB (COPY ... TO (FORMAT parquet)), a maintained
// writer independent of the reader Forge uses (hyparquet); DuckDB also computes the totals tests expect, from the
// files, without any of Forge's code.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { focusCsv, TestFocusRow, TEST_FOCUS_COLUMNS } from './focusCsv';

export type ExportFormat = 'csv' | 'csv.gz' | 'parquet';

/** A DuckDB SQL string literal. */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function withDuckDB<T>(
  fn: (run: (sql: string) => Promise<string[][]>) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await fn(async sql => {
      const reader = await connection.runAndReadAll(sql);
      return reader
        .getRows()
        .map(row => row.map(v => (v === null ? '' : String(v))));
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A NULL-aware cast of a text column read from CSV. */
const cast = (column: string, type: string) =>
  `CASE WHEN "${column}" IN ('NULL', '') THEN NULL ELSE CAST("${column}" AS ${type}) END AS "${column}"`;

const timestamp = (column: string) =>
  `CASE WHEN "${column}" IN ('NULL', '') THEN NULL ELSE CAST(replace(replace("${column}", 'T', ' '), 'Z', '') AS TIMESTAMP) END AS "${column}"`;

/**
 * Writes `rows` as one export file. Parquet is typed as providers type it: BilledCost and ListCost DECIMAL (exact),
 * EffectiveCost and ConsumedQuantity DOUBLE, timestamps TIMESTAMP, and Tags a MAP (AWS) or JSON text (Azure).
 */
export async function writeExportFile(
  file: string,
  rows: TestFocusRow[],
  format: ExportFormat,
  options: { tagsAsMap?: boolean } = {},
): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const csv = focusCsv(rows);
  if (format === 'csv') {
    fs.writeFileSync(file, csv);
    return;
  }
  if (format === 'csv.gz') {
    fs.writeFileSync(file, gzipSync(csv));
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-parquet-'));
  try {
    const source = path.join(dir, 'rows.csv');
    fs.writeFileSync(source, csv);
    const columns = TEST_FOCUS_COLUMNS.map(c => {
      if (c === 'BilledCost' || c === 'ListCost')
        return cast(c, 'DECIMAL(38,15)');
      if (c === 'EffectiveCost' || c === 'ConsumedQuantity')
        return cast(c, 'DOUBLE');
      if (/Period(Start|End)$/.test(c)) return timestamp(c);
      if (c === 'Tags' && options.tagsAsMap) {
        return `CASE WHEN "Tags" = 'NULL' THEN NULL ELSE CAST(CAST("Tags" AS JSON) AS MAP(VARCHAR, VARCHAR)) END AS "Tags"`;
      }
      return `CASE WHEN "${c}" = 'NULL' THEN NULL ELSE "${c}" END AS "${c}"`;
    });
    await withDuckDB(run =>
      run(
        `COPY (SELECT ${columns.join(', ')} FROM read_csv(${literal(
          source,
        )}, all_varchar = true, header = true)) TO ${literal(
          file,
        )} (FORMAT parquet, ROW_GROUP_SIZE 50)`,
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Per UTC day of ChargePeriodStart, the sums of the costs of the files, computed by DuckDB from the files alone. */
export async function independentDailyTotals(
  files: string[],
  format: ExportFormat,
): Promise<
  Record<string, { billed: number; effective: number; list: number }>
> {
  const list = `[${files.map(literal).join(', ')}]`;
  const from =
    format === 'parquet'
      ? `read_parquet(${list})`
      : `read_csv(${list}, all_varchar = true, header = true)`;
  const amount = (c: string) =>
    format === 'parquet'
      ? `CAST("${c}" AS DECIMAL(38,15))`
      : `CAST(NULLIF("${c}", 'NULL') AS DECIMAL(38,15))`;
  const day =
    format === 'parquet'
      ? `strftime("ChargePeriodStart", '%Y-%m-%d')`
      : `substr("ChargePeriodStart", 1, 10)`;
  const rows = await withDuckDB(run =>
    run(
      `SELECT ${day} AS day, sum(${amount('BilledCost')}), sum(${amount(
        'EffectiveCost',
      )}), sum(${amount('ListCost')}) FROM ${from} GROUP BY ALL ORDER BY 1`,
    ),
  );
  return Object.fromEntries(
    rows.map(([date, billed, effective, listCost]) => [
      date,
      {
        billed: Number(billed),
        effective: Number(effective),
        list: Number(listCost),
      },
    ]),
  );
}

/** The extension of a data file of the format, as the providers name them. */
export function extensionOf(format: ExportFormat): string {
  return format === 'parquet' ? 'snappy.parquet' : format;
}

/**
 * One AWS Data Exports execution of an export for a billing period: its parts under
 * `<root>/<export>/data/BILLING_PERIOD=<period>/<time>-<executionId>/` and, unless `manifest` is false, the
 * period's manifest `<root>/<export>/metadata/BILLING_PERIOD=<period>/<export>-Manifest.json` pointing at them
 * (rewritten by each execution). Returns the local paths of the parts.
 */
export async function writeAwsExecution(options: {
  root: string;
  exportName: string;
  period: string;
  executionId: string;
  time: string;
  parts: TestFocusRow[][];
  format: ExportFormat;
  manifest?: boolean;
  /** Parts listed in the manifest but not written (a delivery in progress). */
  missingParts?: number;
}): Promise<string[]> {
  const { root, exportName, period, executionId, format } = options;
  const bucket = 'forge-billing';
  const prefix = `focus/${exportName}`;
  const folder = `data/BILLING_PERIOD=${period}/${options.time}-${executionId}`;
  const files: string[] = [];
  const keys: string[] = [];
  const count = options.parts.length + (options.missingParts ?? 0);
  for (let i = 0; i < count; i++) {
    const name = `${exportName}-${String(i + 1).padStart(5, '0')}.${extensionOf(
      format,
    )}`;
    const local = path.join(root, exportName, folder, name);
    keys.push(`s3://${bucket}/${prefix}/${folder}/${name}`);
    if (i < options.parts.length) {
      await writeExportFile(local, options.parts[i], format, {
        tagsAsMap: true,
      });
      files.push(local);
    }
  }
  if (options.manifest !== false) {
    const manifest = path.join(
      root,
      exportName,
      'metadata',
      `BILLING_PERIOD=${period}`,
      `${exportName}-Manifest.json`,
    );
    fs.mkdirSync(path.dirname(manifest), { recursive: true });
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        executionId,
        exportArn: `arn:aws:bcm-data-exports:us-east-1:123456789012:export/${exportName}-0a1b2c3d`,
        columns: TEST_FOCUS_COLUMNS.map(name => ({ name, type: 'string' })),
        dataFiles: keys,
        billingPeriod: {
          start: `${period}-01T00:00:00.000Z`,
          end: `${period}-28T00:00:00.000Z`,
        },
      }),
    );
  }
  return files;
}

/**
 * One Azure Cost Management export run: `<root>/<export>/<YYYYMMDD-YYYYMMDD>/<run time>/<guid>/` holding the run's
 * parts and its manifest.json (runInfo.submittedTime, blobs with byteCount). Returns the local paths of the parts.
 */
export async function writeAzureRun(options: {
  root: string;
  exportName: string;
  period: string;
  runId: string;
  submittedTime: string;
  parts: TestFocusRow[][];
  format: ExportFormat;
  /** Parts listed in the manifest but not written, or written shorter than stated (a delivery in progress). */
  missingParts?: number;
  /** runInfo startDate and endDate (YYYY-MM-DD, the end included); the period's first and last day by default. */
  days?: { from: string; to: string };
}): Promise<string[]> {
  const { root, exportName, period, runId, format } = options;
  const [year, month] = period.split('-');
  const days = options.days ?? {
    from: `${period}-01`,
    to: new Date(Date.UTC(Number(year), Number(month), 0))
      .toISOString()
      .slice(0, 10),
  };
  const range = `${days.from.replace(/-/g, '')}-${days.to.replace(/-/g, '')}`;
  const runFolder = `${options.submittedTime
    .replace(/\D/g, '')
    .slice(0, 12)}/${runId}`;
  const blobPath = `exports/${exportName}/${range}/${runFolder}`;
  const dir = path.join(root, exportName, range, runFolder);
  const files: string[] = [];
  const blobs: Array<{ blobName: string; byteCount: number }> = [];
  const count = options.parts.length + (options.missingParts ?? 0);
  for (let i = 0; i < count; i++) {
    const name = `part_${i}_0001.${extensionOf(format)}`;
    const local = path.join(dir, name);
    if (i < options.parts.length) {
      await writeExportFile(local, options.parts[i], format);
      files.push(local);
      blobs.push({
        blobName: `${blobPath}/${name}`,
        byteCount: fs.statSync(local).size,
      });
    } else {
      blobs.push({ blobName: `${blobPath}/${name}`, byteCount: 1234 });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      manifestVersion: '2024-04-01',
      byteCount: blobs.reduce((s, b) => s + b.byteCount, 0),
      blobCount: blobs.length,
      exportConfig: {
        exportName,
        resourceId: `/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.CostManagement/exports/${exportName}`,
        dataVersion: '1.0r2',
        apiVersion: '2023-07-01-preview',
        type: 'FocusCost',
        timeFrame: 'MonthToDate',
        granularity: 'Daily',
      },
      deliveryConfig: {
        partitionData: true,
        dataOverwriteBehavior: 'CreateNewReport',
        fileFormat: format === 'parquet' ? 'Parquet' : 'Csv',
        containerUri:
          '/subscriptions/0/resourceGroups/finops/providers/Microsoft.Storage/storageAccounts/forgecost',
        rootFolderPath: 'exports',
      },
      runInfo: {
        executionType: 'Scheduled',
        submittedTime: options.submittedTime,
        runId,
        startDate: `${days.from}T00:00:00`,
        endDate: `${days.to}T00:00:00`,
      },
      blobs,
    }),
  );
  return files;
}
