/* eslint-disable no-console */
// The catalog-size curve: how scorecard evaluation (the scheduled evaluation of every entity, first run and steady
// state) and the compliance dashboard grow from 1,000 to 10,000 and 50,000 catalog entities (large Backstage
// installations report pain at 15-30k). The real ComplianceService and DashboardService, the baseline policy pack,
// a SQLite file store; the catalog is held in memory so the figures are Forge's own work, not the catalog's. Each
// size is printed as a ratio to the smallest: linear growth reads 10x and 50x.
//   FORGE_BENCH_SIZES=1000,10000,50000 ./forge bench catalog-size
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { Entity } from '@backstage/catalog-model';
import { LoggerService } from '@backstage/backend-plugin-api';
import { DatabaseComplianceStore } from '../plugins/compliance-backend/src/database/DatabaseComplianceStore';
import { ComplianceService } from '../plugins/compliance-backend/src/service/ComplianceService';
import { DashboardService } from '../plugins/compliance-backend/src/service/DashboardService';
import { ComplianceNotifier } from '../plugins/compliance-backend/src/service/Notifier';
import { PolicyPackLoader } from '../plugins/compliance-backend/src/service/PolicyPackLoader';
import { InMemoryCatalog } from '../plugins/compliance-backend/src/__testUtils__/catalog';
import { median, printTable } from './lib.mjs';

const SIZES = (process.env.FORGE_BENCH_SIZES ?? '1000,10000,50000')
  .split(',')
  .map(Number);
const ROOT = path.resolve(__dirname, '..');
const TEAMS = 60;

/** A deterministic organisation: a root, departments, teams, and `size` catalog entities in all (most of them projects). */
function organisation(size: number): Entity[] {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const group = (name: string, parent?: string, type = 'team'): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default', etag: 'v1' },
    spec: { type, children: [], ...(parent ? { parent } : {}) },
    relations: parent
      ? [{ type: 'childOf', targetRef: `group:default/${parent}` }]
      : [],
  });
  const groups = [
    group('org', undefined, 'organization'),
    ...Array.from({ length: 6 }, (_, d) =>
      group(`dept-${d}`, 'org', 'department'),
    ),
    ...Array.from({ length: TEAMS }, (_, t) =>
      group(`team-${t}`, `dept-${t % 6}`),
    ),
  ];
  const classifications = ['public', 'internal', 'confidential', 'restricted'];
  const regions = ['eu-west-1', 'eu-central-1', 'us-east-1'];
  const projects = Array.from(
    { length: size - groups.length },
    (_, i): Entity => {
      const owner = `group:default/team-${i % TEAMS}`;
      return {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: `project-${i}`,
          namespace: 'default',
          etag: 'v1',
          description: 'A data or ML project of the synthetic organisation.',
          annotations: {
            'backstage.io/techdocs-ref': 'dir:.',
            'forge.io/blueprint': `${pick([
              'ml-training-pipeline',
              'dbt-analytics',
            ])}@1.0.0`,
            'forge.io/data-classification': pick(classifications),
            'forge.io/contains-pii': rand() < 0.3 ? 'true' : 'false',
            'forge.io/region': pick(regions),
            'forge.io/cost-center': `CC-${4000 + (i % 50)}`,
            ...(rand() < 0.8 ? { 'forge.io/monitoring': 'prometheus' } : {}),
          },
        },
        spec: {
          type: pick(['ml-pipeline', 'data-pipeline', 'service']),
          lifecycle: pick(['production', 'experimental']),
          owner,
          system: 'data',
        },
        relations: [{ type: 'ownedBy', targetRef: owner }],
      };
    },
  );
  return [...groups, ...projects];
}

const logger: LoggerService = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => logger,
};

const silent: ComplianceNotifier = {
  async checkRegressed() {},
  async exemptionExpiring() {},
  async exemptionDecided() {},
  async exemptionRequested() {},
};

async function measure(size: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bench-catalog-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'compliance.sqlite') },
    useNullAsDefault: true,
  });
  try {
    const store = await DatabaseComplianceStore.fromKnex(knex);
    const loader = new PolicyPackLoader(path.join(ROOT, 'policies'), logger);
    await loader.reload();
    const catalog = new InMemoryCatalog(organisation(size));
    const compliance = new ComplianceService({
      store,
      loader,
      catalog,
      notifier: silent,
      logger,
    });
    const dashboard = new DashboardService({ store, loader, catalog });

    let t = performance.now();
    await compliance.evaluateAll();
    const firstMs = performance.now() - t;
    t = performance.now();
    await compliance.evaluateAll();
    const steadyMs = performance.now() - t;
    const dashboards: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      await dashboard.dashboard({ rootGroupRef: 'group:default/org' });
      dashboards.push(performance.now() - t);
    }
    return { firstMs, steadyMs, dashboardMs: median(dashboards) };
  } finally {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const rows = [];
  for (const size of SIZES) {
    console.error(`catalog-size: ${size.toLocaleString('en-US')} entities`);
    rows.push({
      name: `${size.toLocaleString('en-US')} entities`,
      values: await measure(size),
    });
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  printTable(
    `catalog size: scorecard evaluation of every entity and the compliance dashboard, SQLite (baseline: ${SIZES[0].toLocaleString(
      'en-US',
    )} entities)`,
    [
      { key: 'firstMs', label: 'first evaluation', format: seconds },
      { key: 'steadyMs', label: 'steady evaluation', format: seconds },
      { key: 'dashboardMs', label: 'dashboard', format: seconds },
    ],
    rows,
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
