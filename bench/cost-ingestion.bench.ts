/* eslint-disable no-console */
// FOCUS ingestion: 1,000,000 synthetic rows streamed, validated, attributed to catalog entities, summed into daily
// rollups and stored, against parsing the same file alone with PapaParse, the field's common CSV parser (the
// baseline). Ingestion reads CSV with Forge's own scanner (workers/csvScanner.js says why); parsing the file alone
// with that scanner is printed too, with the ratio against it, so the figure does not rest on PapaParse being slow.
// The rows are FOCUS 1.0 rows as providers export them (every column, quoted strings); the same lines narrowed to
// 26 columns are measured too, the hardest case for the ratio (less to parse per row, the same to validate).
// Each case runs in its own process so its peak memory (VmHWM) is its own; a 250,000-row file shows whether memory
// stays flat as the file grows. Targets (issue 4): ingestion at least half the parse-only speed and at least
// 100,000 rows/s on SQLite; memory flat in file size. Ingestion scans on a worker thread while the main thread
// reads, validates, attributes and sums, so it uses two cores where the baselines use one; the figures are
// wall-clock throughput.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import knexFactory from 'knex';
import Papa from 'papaparse';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { Entity } from '@backstage/catalog-model';
import { FOCUS_REQUIRED_COLUMNS } from '@internal/plugin-cost-insights-common';
import { CostCatalog } from '../plugins/cost-insights-backend/src/catalog/CostCatalog';
import { DEFAULT_GPU_PATTERN } from '../plugins/cost-insights-backend/src/config';
import { DatabaseCostStore } from '../plugins/cost-insights-backend/src/database/DatabaseCostStore';
import { CostIngester } from '../plugins/cost-insights-backend/src/ingestion/CostIngester';
import {
  postgresUrl,
  withDatabase,
  printTable,
  printTargets,
  peakRss,
  runCaseIfAsked,
  runCaseInChild,
} from './lib.mjs';

// Plain JavaScript, as the parser thread runs it (typed by csvScanner.d.ts).
import {
  CsvScanner,
  fieldValue,
} from '../plugins/cost-insights-backend/workers/csvScanner';

const ROWS = Number(process.env.FORGE_BENCH_COST_ROWS ?? 1_000_000);
const SMALL_ROWS = Math.round(ROWS / 4);
/** Runs of each case; the median counts. */
const RUNS = Number(process.env.FORGE_BENCH_RUNS ?? 3);
const ENTITIES = 500;

// Positional: the rows below are written in this order.
const COLUMNS = [
  ...FOCUS_REQUIRED_COLUMNS.filter(c => !c.startsWith('Service')),
  'ProviderName',
  'ServiceCategory',
  'ServiceName',
  'SubAccountId',
  'SubAccountName',
  'RegionId',
  'ConsumedQuantity',
  'ConsumedUnit',
  'Tags',
  'CommitmentDiscountStatus',
  'SkuId',
  'ResourceType',
  'ChargeDescription',
  'ResourceId',
  'PricingUnit',
  'x_Extra',
];
/** Every column of a FOCUS 1.0 export, in the order of the real sample in ../shared/data/focus-sample. */
const FOCUS_1_0_COLUMNS = [
  'AvailabilityZone',
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'CommitmentDiscountCategory',
  'CommitmentDiscountId',
  'CommitmentDiscountName',
  'CommitmentDiscountStatus',
  'CommitmentDiscountType',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedCost',
  'ContractedUnitPrice',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'ListUnitPrice',
  'PricingCategory',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'RegionId',
  'RegionName',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ServiceCategory',
  'ServiceName',
  'SkuId',
  'SkuPriceId',
  'SubAccountId',
  'SubAccountName',
  'Tags',
];
const SERVICES = [
  ['Compute', 'Amazon Elastic Compute Cloud', 'm6i.2xlarge'],
  ['Storage', 'Amazon Simple Storage Service', 'Bucket'],
  ['Databases', 'Amazon Relational Database Service', 'db.r6g.large'],
  ['AI and Machine Learning', 'Amazon SageMaker', 'ml.g5.xlarge'],
  ['Networking', 'AWS Data Transfer', 'DataTransfer'],
];

/** The synthetic catalog: ENTITIES components, each claiming a forge-project tag, owned by 25 teams. */
function entities(): Entity[] {
  const teams: Entity[] = Array.from({ length: 25 }, (_, t) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: `team-${t}`, namespace: 'default' },
    spec: { type: 'team', children: [] },
  }));
  const components: Entity[] = Array.from({ length: ENTITIES }, (_, i) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `project-${i}`,
      namespace: 'default',
      annotations: { 'forge.io/cost-tags': `forge-project=project-${i}` },
    },
    spec: { type: 'service', owner: `group:default/team-${i % 25}` },
  }));
  return [...teams, ...components];
}

/** The line `i` of a synthetic export: rows cycle through every day, entity and service before repeating. */
function lineOf(i: number) {
  const start = Date.UTC(2026, 8, 1);
  const keys = 30 * ENTITIES * SERVICES.length;
  const day = i % 30;
  const entity = Math.floor(i / 30) % ENTITIES;
  const [category, service, resource] =
    SERVICES[Math.floor(i / (30 * ENTITIES)) % SERVICES.length];
  const hour = Math.floor(i / keys) % 24;
  const at = start + (day * 24 + hour) * 3_600_000;
  const cost = ((i * 2654435761) % 1000) / 100;
  return { at, entity, category, service, resource, cost };
}

/**
 * Writes `rows` FOCUS 1.0 rows of September 2026 (about 10% untagged) the way providers export them: every column
 * of the specification (43, as in ../shared/data/focus-sample), strings quoted, NULL for no value, costs with 11
 * decimals, local timestamps. Rows cycle through every day, entity and service before repeating (as hourly
 * lines), so any file of 75,000 rows or more has the same 75,000 daily rollups: the files differ in length only,
 * which is what "memory flat in file size" is about.
 */
async function writeExport(file: string, rows: number) {
  const out = fs.createWriteStream(file);
  const q = (value: string) => `"${value.replace(/"/g, '""')}"`;
  const timestamp = (ms: number) =>
    new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  out.write(`${FOCUS_1_0_COLUMNS.map(q).join(',')}\n`);
  for (let i = 0; i < rows; i++) {
    const { at, entity, category, service, resource, cost } = lineOf(i);
    const line = [
      'NULL', // AvailabilityZone
      cost.toFixed(11), // BilledCost
      q('123456789012'), // BillingAccountId
      q('Forge Insurance'), // BillingAccountName
      q('USD'), // BillingCurrency
      q('2026-10-01 00:00:00'), // BillingPeriodEnd
      q('2026-09-01 00:00:00'), // BillingPeriodStart
      q('Usage'), // ChargeCategory
      'NULL', // ChargeClass
      q(`$0.384 per On Demand ${service} ${resource} Hour`), // ChargeDescription
      q('Usage-Based'), // ChargeFrequency
      q(timestamp(at + 3_600_000)), // ChargePeriodEnd
      q(timestamp(at)), // ChargePeriodStart
      'NULL', // CommitmentDiscountCategory
      'NULL', // CommitmentDiscountId
      'NULL', // CommitmentDiscountName
      'NULL', // CommitmentDiscountStatus
      'NULL', // CommitmentDiscountType
      '1.000000000000000', // ConsumedQuantity
      q('Hours'), // ConsumedUnit
      (cost * 0.95).toFixed(11), // ContractedCost
      '0.38400000000', // ContractedUnitPrice
      (cost * 0.9).toFixed(11), // EffectiveCost
      q('Amazon Web Services, Inc.'), // InvoiceIssuerName
      (cost * 1.1).toFixed(11), // ListCost
      q('0.384'), // ListUnitPrice
      q('Standard'), // PricingCategory
      '1.00000000000', // PricingQuantity
      q('Hours'), // PricingUnit
      q('AWS'), // ProviderName
      q('Amazon Web Services, Inc.'), // PublisherName
      q('eu-west-1'), // RegionId
      q('Europe (Ireland)'), // RegionName
      q(
        `arn:aws:ec2:eu-west-1:123456789012:instance/i-${entity
          .toString(16)
          .padStart(17, '0')}`,
      ), // ResourceId
      'NULL', // ResourceName
      q(resource), // ResourceType
      q(category), // ServiceCategory
      q(service), // ServiceName
      q(`SKU${service.length}${resource}`), // SkuId
      q(`SKU${service.length}${resource}.JRTCKXETXF`), // SkuPriceId
      q(`sub-${entity % 20}`), // SubAccountId
      q(`Sub ${entity % 20}`), // SubAccountName
      entity % 10 === 0
        ? 'NULL'
        : q(
            `{"forge-project": "project-${entity}", "environment": "prod", "business_unit": "claims"}`,
          ), // Tags
    ].join(',');
    if (!out.write(`${line}\n`)) await new Promise(r => out.once('drain', r));
  }
  out.end();
  await finished(out);
}

/**
 * The same lines with only the 26 columns Forge reads or ignores cheaply, unquoted where they can be: not what
 * providers export (it lacks mandatory FOCUS columns), and the hardest case for the ingestion/parse ratio, since
 * there is less to parse per row and the same to validate and sum.
 */
async function writeNarrowExport(file: string, rows: number) {
  const out = fs.createWriteStream(file);
  const csv = stringify();
  csv.pipe(out);
  csv.write(COLUMNS);
  for (let i = 0; i < rows; i++) {
    const { at, entity, category, service, resource, cost } = lineOf(i);
    const from = new Date(at).toISOString().replace('.000', '');
    const to = new Date(at + 3_600_000).toISOString().replace('.000', '');
    const ok = csv.write([
      cost.toFixed(4),
      'acct-1',
      'USD',
      '2026-09-01T00:00:00Z',
      '2026-10-01T00:00:00Z',
      'Usage',
      from,
      to,
      (cost * 0.9).toFixed(4),
      (cost * 1.1).toFixed(4),
      'AWS',
      category,
      service,
      `sub-${entity % 20}`,
      `Sub ${entity % 20}`,
      'eu-west-1',
      '1.000000',
      'Hours',
      entity % 10 === 0
        ? 'NULL'
        : `{"forge-project": "project-${entity}", "environment": "prod"}`,
      'NULL',
      `SKU-${service}`,
      resource,
      `${service} usage`,
      `res-${entity}`,
      'Hours',
      'x',
    ]);
    if (!ok) await new Promise(r => csv.once('drain', r));
  }
  csv.end();
  await finished(out);
}

/** VmHWM: the peak resident memory of this process so far. */
type CaseResult = { rows: number; ms: number; peakRss: number };

/** The baseline: the same CSV parser, same options, on the same file, doing nothing with the records. */
async function parseOnly(file: string): Promise<CaseResult> {
  const started = process.hrtime.bigint();
  let rows = 0;
  await new Promise<void>((resolve, reject) =>
    Papa.parse<string[]>(
      fs.createReadStream(file, 'utf8') as unknown as NodeJS.ReadableStream,
      {
        header: false,
        skipEmptyLines: true,
        step: () => {
          rows += 1;
        },
        complete: () => resolve(),
        error: reject,
      },
    ),
  );
  return {
    rows: rows - 1,
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    peakRss: peakRss(),
  };
}

/** Forge's own scanner alone on the same file: each record's fields made into strings, as a parser hands them over. */
async function parseOnlyScanner(file: string): Promise<CaseResult> {
  const started = process.hrtime.bigint();
  let rows = 0;
  let fields: string[] = [];
  const scanner = new CsvScanner({
    field(text, start, end, quoted, escaped, index) {
      if (index === 0) fields = [];
      fields.push(fieldValue(text, start, end, quoted, escaped));
    },
    record() {
      rows += fields.length > 0 ? 1 : 0;
      return true;
    },
  });
  const scanAll = () => {
    if (scanner.scan() === 'paused') throw new Error('the sink never pauses');
  };
  for await (const chunk of fs.createReadStream(file, 'utf8')) {
    scanner.push(chunk as string);
    scanAll();
  }
  scanner.end();
  scanAll();
  return {
    rows: rows - 1,
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    peakRss: peakRss(),
  };
}

/** For context: the other common Node CSV parser (csv-parse), parsing the same file. */
async function parseOnlyCsvParse(file: string): Promise<CaseResult> {
  const started = process.hrtime.bigint();
  let rows = 0;
  const parser = fs
    .createReadStream(file)
    .pipe(parse({ bom: true, relax_column_count: true }));
  parser.on('data', () => {
    rows += 1;
  });
  await finished(parser);
  return {
    rows: rows - 1,
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    peakRss: peakRss(),
  };
}

async function ingest(
  file: string,
  database: 'sqlite' | 'pg',
): Promise<CaseResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-cost-bench-'));
  const dbName = `forge_cost_bench_${process.pid}`;
  const pg = postgresUrl();
  let admin: ReturnType<typeof knexFactory> | undefined;
  if (database === 'pg') {
    admin = knexFactory({
      client: 'pg',
      connection: withDatabase(pg, 'postgres'),
    });
    await admin.raw('CREATE DATABASE ??', [dbName]);
  }
  const knex =
    database === 'pg'
      ? knexFactory({
          client: 'pg',
          connection: withDatabase(pg, dbName),
        })
      : knexFactory({
          client: 'better-sqlite3',
          connection: { filename: path.join(dir, 'cost.sqlite') },
          useNullAsDefault: true,
        });
  try {
    const store = await DatabaseCostStore.create({
      database: { getClient: async () => knex },
    });
    const all = entities();
    const catalog = new CostCatalog({
      // The catalog is not what is measured: an in-memory answer to the one call the cost catalog makes.
      catalog: { getEntities: async () => ({ items: all }) } as any,
      auth: { getOwnServiceCredentials: async () => ({}) } as any,
      entityKinds: ['Component'],
    });
    const ingester = new CostIngester({
      store,
      catalog,
      attribution: { tagKeys: [], subAccounts: [] },
      gpuPattern: new RegExp(DEFAULT_GPU_PATTERN, 'i'),
      logger: {
        info() {},
        warn() {},
        error() {},
        debug() {},
        child() {
          return this;
        },
      } as any,
    });
    const started = process.hrtime.bigint();
    const record = await ingester.ingest({
      source: 'folder',
      location: file,
      content: fs.createReadStream(file),
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (record.status !== 'succeeded')
      throw new Error(`ingestion ${record.status}: ${record.error}`);
    return { rows: record.rowCount, ms, peakRss: peakRss() };
  } finally {
    await knex.destroy();
    if (admin) {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [dbName]);
      await admin.destroy();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// --- a child process runs one case and prints its result as JSON ------------------------------------------------
if (
  !runCaseIfAsked((kind: string, file: string): Promise<CaseResult> => {
    if (kind === 'parse') return parseOnly(file);
    if (kind === 'parse-csv-parse') return parseOnlyCsvParse(file);
    if (kind === 'parse-scanner') return parseOnlyScanner(file);
    return ingest(file, kind === 'ingest-pg' ? 'pg' : 'sqlite');
  })
) {
  main().catch(error => {
    console.error(error);
    process.exit(1);
  });
}

function runCase(kind: string, file: string): CaseResult {
  return runCaseInChild(__filename, kind, file);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-cost-bench-files-'));
  try {
    const big = path.join(dir, 'focus-big.csv');
    const small = path.join(dir, 'focus-small.csv');
    const narrow = path.join(dir, 'focus-narrow.csv');
    await writeExport(big, ROWS);
    await writeExport(small, SMALL_ROWS);
    await writeNarrowExport(narrow, ROWS);
    const mib = (file: string) => (fs.statSync(file).size / 2 ** 20).toFixed(0);
    console.log(
      `  files: ${ROWS.toLocaleString('en-US')} FOCUS 1.0 rows, ${
        FOCUS_1_0_COLUMNS.length
      } columns (${mib(big)} MiB), and ${SMALL_ROWS.toLocaleString(
        'en-US',
      )} of them; the same ${ROWS.toLocaleString('en-US')} lines narrowed to ${
        COLUMNS.length
      } columns (${mib(narrow)} MiB)`,
    );
    const cases: Array<{ name: string; kind: string; file: string }> = [
      { name: `parse only, ${ROWS / 1000}k`, kind: 'parse', file: big },
      {
        name: `ingest SQLite, ${ROWS / 1000}k`,
        kind: 'ingest-sqlite',
        file: big,
      },
      {
        name: `ingest SQLite, ${SMALL_ROWS / 1000}k`,
        kind: 'ingest-sqlite',
        file: small,
      },
      {
        name: `Forge scanner only, ${ROWS / 1000}k`,
        kind: 'parse-scanner',
        file: big,
      },
      {
        name: `csv-parse only, ${ROWS / 1000}k`,
        kind: 'parse-csv-parse',
        file: big,
      },
    ];
    cases.push(
      {
        name: `narrow: parse only, ${ROWS / 1000}k`,
        kind: 'parse',
        file: narrow,
      },
      {
        name: `narrow: Forge scanner only, ${ROWS / 1000}k`,
        kind: 'parse-scanner',
        file: narrow,
      },
      {
        name: `narrow: ingest SQLite, ${ROWS / 1000}k`,
        kind: 'ingest-sqlite',
        file: narrow,
      },
    );
    if (postgresUrl()) {
      cases.push({
        name: `ingest PostgreSQL, ${ROWS / 1000}k`,
        kind: 'ingest-pg',
        file: big,
      });
    }
    // These machines are noisy: every case runs RUNS times, in rounds so a slow spell touches all of them, and
    // the median time counts (peak memory: the highest seen).
    const runs: CaseResult[][] = cases.map(() => []);
    for (let round = 0; round < RUNS; round++) {
      cases.forEach((c, i) => runs[i].push(runCase(c.kind, c.file)));
    }
    const results = cases.map((c, i) => {
      const sorted = [...runs[i]].sort((a, b) => a.ms - b.ms);
      const median = sorted[Math.floor(sorted.length / 2)];
      return {
        name: c.name,
        r: {
          ...median,
          peakRss: Math.max(...runs[i].map(r => r.peakRss)),
        },
      };
    });
    printTable(
      `FOCUS ingestion (stream, validate, attribute, roll up, store) against parsing the same file alone (median of ${RUNS} runs)`,
      [
        {
          key: 'rate',
          label: 'rows/s',
          format: (v: number) => Math.round(v).toLocaleString('en-US'),
        },
        {
          key: 'peak',
          label: 'peak RSS',
          format: (v: number) => `${(v / 2 ** 20).toFixed(0)} MiB`,
        },
      ],
      results.map(({ name, r }) => ({
        name,
        values: { rate: r.rows / (r.ms / 1000), peak: r.peakRss },
      })),
    );
    const [
      parseBig,
      sqliteBig,
      sqliteSmall,
      scanBig,
      ,
      parseNarrow,
      scanNarrow,
      sqliteNarrow,
    ] = results.map(x => x.r);
    const rate = (r: CaseResult) => r.rows / (r.ms / 1000);
    const ratio = (a: CaseResult, b: CaseResult) =>
      (rate(a) / rate(b)).toFixed(2);
    const flat = sqliteBig.peakRss / sqliteSmall.peakRss;
    const ratioOf = (a: CaseResult, b: CaseResult) => rate(a) / rate(b);
    const target = (name: string, value: number, bound: object) => ({
      name,
      value,
      shown: `${value.toFixed(2)}x`,
      ...bound,
    });
    printTargets([
      target(
        'ingestion / parse only (PapaParse)',
        ratioOf(sqliteBig, parseBig),
        { atLeast: 0.5 },
      ),
      {
        name: 'ingestion on SQLite, rows/s',
        value: rate(sqliteBig),
        shown: Math.round(rate(sqliteBig)).toLocaleString('en-US'),
        atLeast: 100_000,
      },
      target(
        `peak memory ${ROWS / 1000}k vs ${SMALL_ROWS / 1000}k rows (flat)`,
        flat,
        { atMost: 1.5 },
      ),
    ]);
    console.log(
      `  reported: ingestion / Forge's scanner alone ${ratio(
        sqliteBig,
        scanBig,
      )}; narrow file: ingestion / parse only ${ratio(
        sqliteNarrow,
        parseNarrow,
      )}, / scanner ${ratio(sqliteNarrow, scanNarrow)}`,
    );
    if (!postgresUrl())
      console.log(
        '  PostgreSQL n/a: no server configured (see scripts/services.sh)',
      );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
