// Backend start to readiness and resident memory: the embedded default (SQLite files) against PostgreSQL.
// Each start is cold: a fresh data folder, or fresh PostgreSQL databases, so migrations run every time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { median, postgresUrl, printTable } from './lib.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.FORGE_BENCH_ROUNDS ?? 3);
const PORT = 7037;
const transform = require.resolve(
  '@backstage/cli-node/config/nodeTransform.cjs',
  {
    paths: [path.join(ROOT, 'node_modules/@backstage/cli')],
  },
);

function rssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+) kB/)[1]) * 1024;
}

async function startOnce({ dataDir, extraConfig }) {
  for (const dir of ['sqlite', 'scaffolder-work', 'techdocs'])
    fs.mkdirSync(path.join(dataDir, dir), { recursive: true });
  const configs = [
    '../../app-config.yaml',
    '../../e2e-tests/app-config.e2e.yaml',
    ...extraConfig,
  ];
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      transform,
      'src/index',
      ...configs.flatMap(c => ['--config', c]),
    ],
    {
      cwd: path.join(ROOT, 'packages/backend'),
      stdio: 'ignore',
      env: {
        ...process.env,
        NODE_ENV: 'development',
        FORGE_E2E_PORT: String(PORT),
        FORGE_E2E_DATA_DIR: dataDir,
      },
    },
  );
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`backend exited with ${child.exitCode}`);
      try {
        if (
          (
            await fetch(
              `http://localhost:${PORT}/.backstage/health/v1/readiness`,
            )
          ).ok
        )
          break;
      } catch {
        // not listening yet
      }
      await new Promise(r => setTimeout(r, 50));
    }
    const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { readyMs, rss: rssBytes(child.pid) };
  } finally {
    const exited = new Promise(r => child.once('exit', r));
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    await exited;
  }
}

async function dropDatabases(url, prefix) {
  const { Client } = require(require.resolve('pg', {
    paths: [path.join(ROOT, 'packages/backend')],
  }));
  const client = new Client({ connectionString: url, database: 'postgres' });
  await client.connect();
  const { rows } = await client.query(
    'SELECT datname FROM pg_database WHERE datname LIKE $1',
    [`${prefix}%`],
  );
  for (const { datname } of rows)
    await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await client.end();
}

const pgUrl = postgresUrl();
const variants = [
  { name: 'SQLite file', pg: false },
  ...(pgUrl ? [{ name: 'PostgreSQL', pg: true }] : []),
];
const samples = Object.fromEntries(
  variants.map(v => [v.name, { readyMs: [], rss: [] }]),
);

for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bench-'));
    const prefix = `forge_bench_${process.pid}_${round}_`;
    const extraConfig = [];
    if (variant.pg) {
      const file = path.join(dataDir, 'pg.yaml');
      fs.writeFileSync(
        file,
        `backend:\n  database:\n    client: pg\n    prefix: ${prefix}\n    connection: ${JSON.stringify(
          pgUrl,
        )}\n`,
      );
      extraConfig.push(file);
    }
    try {
      const { readyMs, rss } = await startOnce({ dataDir, extraConfig });
      samples[variant.name].readyMs.push(readyMs);
      samples[variant.name].rss.push(rss);
    } finally {
      if (variant.pg) await dropDatabases(pgUrl, prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

printTable(
  `backend start to readiness and resident memory (median of ${ROUNDS} cold starts)`,
  [
    {
      key: 'readyMs',
      label: 'ready in',
      format: v => `${(v / 1000).toFixed(2)} s`,
    },
    {
      key: 'rss',
      label: 'RSS',
      format: v => `${(v / 2 ** 20).toFixed(0)} MiB`,
    },
  ],
  variants.map(v => ({
    name: v.name,
    values: {
      readyMs: median(samples[v.name].readyMs),
      rss: median(samples[v.name].rss),
    },
  })),
);
if (!pgUrl)
  console.log(
    '  PostgreSQL n/a: no server configured (see scripts/services.sh)',
  );
