/* eslint-disable no-console */
// Throughput of the main read APIs with one and two backend replicas on one PostgreSQL: requests per second at a
// fixed p95 latency (FORGE_BENCH_P95_MS, default 500 ms). The load is a closed loop of N concurrent clients
// (N = 1, 2, 4, ... 32), each sending the next request as soon as the last answered, round-robin over the read APIs
// and over the replicas (as a load balancer would); the figure is the highest throughput whose p95 stays under the
// limit. The replicas are real backends (packages/backend) on fresh databases. The client runs on the same machine
// (2 cores here), so the ratio says what a second replica buys on this machine, not on a cluster.
//   FORGE_BENCH_STEP_SECONDS=6 ./forge bench replicas
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { stringify as toYaml } from 'yaml';
import { Replica } from '../packages/backend/src/replicas/__testUtils__/Replica';
import { postgresUrl, printTable } from './lib.mjs';

const P95_MS = Number(process.env.FORGE_BENCH_P95_MS ?? 500);
const STEP_MS = 1000 * Number(process.env.FORGE_BENCH_STEP_SECONDS ?? 6);
const CONCURRENCY = [1, 2, 4, 8, 16, 32];
const PORTS = [7124, 7125];

/** What people read most: catalog lists, a scorecard, the compliance dashboard, an entity's cost, their outcomes. */
const READS = [
  '/api/catalog/entities/by-query?limit=20&filter=kind=component&orderField=metadata.name,asc',
  '/api/compliance/scorecards/component/default/churn-model',
  '/api/compliance/dashboard',
  `/api/cost-insights/entities/${encodeURIComponent(
    'component:default/churn-model',
  )}/summary`,
  '/api/outcomes/report',
];

function quantile(sorted: number[], q: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function load(bases: string[], token: string, clients: number) {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const until = performance.now() + STEP_MS;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const i = next++;
        const url = `${bases[i % bases.length]}${READS[i % READS.length]}`;
        const t = performance.now();
        const res = await fetch(url, {
          headers: { authorization: `Bearer ${token}` },
        });
        await res.arrayBuffer();
        if (res.ok) latencies.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    clients,
    rate: latencies.length / (STEP_MS / 1000),
    p95: quantile(latencies, 0.95),
    errors,
  };
}

/** The highest throughput whose p95 stays under the limit, going up in concurrency until it does not. */
async function throughputAtP95(bases: string[], token: string) {
  let best: Awaited<ReturnType<typeof load>> | undefined;
  for (const clients of CONCURRENCY) {
    const step = await load(bases, token, clients);
    console.error(
      `  ${bases.length} replica(s), ${clients} clients: ${step.rate.toFixed(
        1,
      )} req/s, p95 ${step.p95.toFixed(0)} ms${
        step.errors ? `, ${step.errors} errors` : ''
      }`,
    );
    if (step.errors) throw new Error(`${step.errors} requests failed`);
    if (step.p95 > P95_MS) break;
    if (!best || step.rate > best.rate) best = step;
  }
  return best;
}

async function until(what: string, probe: () => Promise<boolean>, ms: number) {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await probe().catch(() => false)) return;
    await new Promise(r => setTimeout(r, 2000));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main() {
  const url = postgresUrl();
  if (!url) {
    console.log(
      '\nreplicas: skipped, no PostgreSQL (scripts/services.sh starts one)',
    );
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bench-replicas-'));
  const prefix = `forge_bench_${randomBytes(4).toString('hex')}_`;
  const config = path.join(dir, 'replica.yaml');
  fs.writeFileSync(
    config,
    toYaml({
      backend: { database: { client: 'pg', connection: url, prefix } },
    }),
  );
  const replicas: Replica[] = [];
  const start = async (i: number) => {
    const replica = Replica.start({
      name: `replica-${i + 1}`,
      port: PORTS[i],
      dir,
      configs: [config],
      runLog: path.join(dir, 'task-runs.jsonl'),
    });
    replicas.push(replica);
    await replica.ready();
    return replica;
  };
  try {
    const first = await start(0);
    // A guest token carries the groups the catalog knew at sign-in: sign in again until it has read the organisation
    // (the outcomes report needs the guest's team), the first evaluation ran and the demo billing data arrived.
    let token = '';
    await until(
      'the demo data',
      async () => {
        const signIn = await fetch(`${first.baseUrl}/api/auth/guest/refresh`, {
          headers: { 'x-requested-with': 'XMLHttpRequest' },
        });
        token = (await signIn.json()).backstageIdentity.token as string;
        for (const read of READS) {
          const res = await fetch(`${first.baseUrl}${read}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          if (!res.ok) return false;
        }
        return true;
      },
      300_000,
    );
    const one = await throughputAtP95([first.baseUrl], token);
    const second = await start(1);
    const two = await throughputAtP95([first.baseUrl, second.baseUrl], token);
    const row = (name: string, r: typeof one) => ({
      name: r
        ? `${name} (${r.clients} clients, p95 ${r.p95.toFixed(0)} ms)`
        : `${name} (over the limit)`,
      values: r ? { rate: r.rate } : {},
    });
    printTable(
      `replicas: main read APIs (${READS.length}, round-robin) at p95 <= ${P95_MS} ms, PostgreSQL (baseline: 1 replica)`,
      [
        {
          key: 'rate',
          label: '',
          format: (v: number) => `${v.toFixed(1)} req/s`,
        },
      ],
      [row('1 replica', one), row('2 replicas', two)],
    );
  } finally {
    await Promise.all(replicas.map(r => r.stop()));
    const admin = knexFactory({ client: 'pg', connection: url });
    const { rows } = await admin.raw(
      'SELECT datname FROM pg_database WHERE datname LIKE ?',
      [`${prefix}%`],
    );
    for (const { datname } of rows) {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
    }
    await admin.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
