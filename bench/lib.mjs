// Shared by the benchmarks: medians, ratios and the one table format they all print.
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
