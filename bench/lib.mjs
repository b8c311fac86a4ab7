// Shared by the benchmarks: medians, ratios, the one table format they all print, and cases run in their own process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function ratio(value, baseline) {
  return `${(value / baseline).toFixed(2)}x`;
}

/** The PostgreSQL connection string scripts/services.sh exported, if any. */
export function postgresUrl() {
  const key = Object.keys(process.env).find(k =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
  );
  return key ? process.env[key] : undefined;
}

/**
 * The connection string pointed at one database. (A `database` option beside a connection string is not applied by
 * the pg driver, which would leave every benchmark in the server's default database.)
 */
export function withDatabase(connectionString, database) {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Prints rows of figures, the first row being the baseline: every other row's figures are followed by their
 * ratio to the baseline's.
 */
export function printTable(title, columns, rows) {
  console.log(`\n${title}`);
  const [baseline] = rows;
  for (const row of rows) {
    const cells = columns.map(c => {
      const v = row.values[c.key];
      if (v === undefined) return `${c.label} n/a`;
      const shown = `${c.label} ${c.format(v)}`;
      return row === baseline
        ? shown
        : `${shown} (${ratio(v, baseline.values[c.key])})`;
    });
    console.log(
      `  ${row.name.padEnd(22)} ${cells.join('   ')}${
        row === baseline ? '   (baseline)' : ''
      }`,
    );
  }
}

/** Peak resident memory of this process so far (VmHWM), in bytes. */
export function peakRss() {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+) kB/)[1]) * 1024;
}

/**
 * Runs one case of a benchmark in its own Node process, so that its peak memory is its own: `script --case kind
 * ...args`; the child answers with one line `RESULT <json>` (see runCaseIfAsked).
 */
export function runCaseInChild(script, kind, ...args) {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, script, '--case', kind, ...args],
    { encoding: 'utf8', env: process.env, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = child.stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) {
    throw new Error(`case ${kind} failed: ${child.stderr}`);
  }
  return JSON.parse(line.slice('RESULT '.length));
}

/**
 * In the child runCaseInChild started: runs the case named on the command line with its arguments and prints its
 * RESULT line; returns false when this process is not a case child (it is the benchmark's main run).
 */
export function runCaseIfAsked(run) {
  const at = process.argv.indexOf('--case');
  if (at < 0) return false;
  run(process.argv[at + 1], ...process.argv.slice(at + 2)).then(
    result => console.log(`RESULT ${JSON.stringify(result)}`),
    error => {
      console.error(error);
      process.exit(1);
    },
  );
  return true;
}

/**
 * Prints a benchmark's targets, one a line: what is measured, its figure, the target and PASS or FAIL, and returns
 * how many failed. Each target is { name, value (number), shown (text of the value), atLeast or atMost }.
 */
export function printTargets(targets) {
  console.log('  targets:');
  let failed = 0;
  for (const t of targets) {
    const pass =
      t.atLeast !== undefined ? t.value >= t.atLeast : t.value <= t.atMost;
    if (!pass) failed += 1;
    const bound =
      t.atLeast !== undefined ? `>= ${t.atLeast}` : `<= ${t.atMost}`;
    console.log(
      `    ${pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.shown} (target ${bound})`,
    );
  }
  console.log(
    `  ${targets.length - failed} of ${targets.length} targets met${
      failed
        ? ' (figures of a busy shared machine vary: run again before drawing conclusions)'
        : ''
    }`,
  );
  return failed;
}
