import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import knexFactory, { Knex } from 'knex';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CostCatalog } from '../catalog/CostCatalog';
import { INTERRUPTED } from '../database/CostStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { testCatalogEntities } from '../__testUtils__/catalogFixture';
import { focusCsv, focusRow } from '../__testUtils__/focusCsv';
import { createTestIngester } from '../__testUtils__/testStore';
import { CostSourceScanner } from './CostSourceScanner';

// A backend killed in the middle of an inbox ingestion (issue 12): a real child process ingests a real file into a
// file database or PostgreSQL and is killed with SIGKILL mid-file. Its record is then recognised as interrupted (the
// API answers it failed, never running), the source is not taken by anyone while the lease lives, and once it has
// expired the next scan marks the record failed and ingests the file again, whole.

const ROOT = path.resolve(__dirname, '../../../..');
const TRANSFORM = require.resolve(
  '@backstage/cli-node/config/nodeTransform.cjs',
  { paths: [path.join(ROOT, 'node_modules/@backstage/cli')] },
);
const CHILD = path.resolve(__dirname, '../__testUtils__/ingestInChild.ts');
const LEASE_MS = 5_000;

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15'],
});
const targets = [
  'SQLITE_FILE',
  ...databases.eachSupportedId().map(([id]) => id),
] as const;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each(targets)('an ingestion killed mid-file (%s)', target => {
  let dir: string;
  let knex: Knex;
  let knexConfig: Knex.Config;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-crash-'));
    fs.mkdirSync(path.join(dir, 'inbox'));
    if (target === 'SQLITE_FILE') {
      knexConfig = {
        client: 'better-sqlite3',
        connection: { filename: path.join(dir, 'cost.sqlite') },
        useNullAsDefault: true,
      };
      knex = knexFactory(knexConfig);
    } else {
      knex = await databases.init(target);
      // The test database by URL (the server TestDatabases was given, with the database it created), for the child.
      const url = new URL(
        process.env[
          `BACKSTAGE_TEST_DATABASE_${target.replace('_', '')}_CONNECTION_STRING`
        ]!,
      );
      url.pathname = `/${
        (knex.client as { connectionSettings: { database: string } })
          .connectionSettings.database
      }`;
      knexConfig = { client: 'pg', connection: url.toString() };
    }
  });

  afterEach(async () => {
    if (target === 'SQLITE_FILE') await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is failed once its lease expires and retried by the next scan, storing the file whole', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) =>
      focusRow(`2026-10-${String(1 + (i % 28)).padStart(2, '0')}`, {
        BilledCost: '0.01',
      }),
    );
    const file = path.join(dir, 'inbox', 'october.csv');
    fs.writeFileSync(file, focusCsv(rows));
    const store = await DatabaseCostStore.create({
      database: { getClient: async () => knex },
    });

    const child = spawn(process.execPath, ['--require', TRANSFORM, CHILD], {
      env: {
        ...process.env,
        FORGE_TEST_KNEX: JSON.stringify(knexConfig),
        FORGE_TEST_FILE: file,
        FORGE_TEST_LEASE_MS: String(LEASE_MS),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', chunk => {
      stderr += chunk;
    });
    const exited = new Promise(resolve => child.on('exit', resolve));
    const running = await until('the child to start ingesting', async () => {
      if (child.exitCode !== null) throw new Error(`child exited: ${stderr}`);
      const [record] = await store.listIngestions({ limit: 1 });
      return record?.status === 'running' ? record : undefined;
    });
    await sleep(300);
    child.kill('SIGKILL');
    await exited;

    // The crash left the row running and stored nothing of the file.
    const raw = await knex('cost_ingestions').where({ id: running.id }).first();
    expect(raw.status).toBe('running');
    expect(
      Number((await knex('cost_daily_rollups').count({ n: '*' }))[0].n),
    ).toBe(0);

    const scanner = new CostSourceScanner({
      store,
      ingester: createTestIngester(
        store,
        new CostCatalog({
          catalog: catalogServiceMock({ entities: testCatalogEntities }),
          auth: mockServices.auth(),
          entityKinds: ['Component'],
          maxAgeMs: 0,
        }),
      ),
      urlReader: mockServices.urlReader.mock(),
      logger: mockServices.logger.mock(),
      settings: {
        folder: path.join(dir, 'inbox'),
        locations: [],
        demoData: { enabled: false, days: 90, seed: 1 },
      },
    });

    // While the lease lives, no replica takes the source (the database holds the claim). (On a machine so busy that
    // the lease already expired, the scan may rightly take it over.)
    const whileLeased = await scanner.scan();
    const leaseExpired = Date.now() >= new Date(raw.lease_expires_at).getTime();
    expect(whileLeased.length === 0 || leaseExpired).toBe(true);

    // Once it has expired, the API answers the record failed, before any scan has touched it.
    const interrupted = await until('the lease to expire', async () => {
      const record = await store.getIngestion(running.id);
      return record?.status === 'failed' ? record : undefined;
    });
    expect(interrupted.error).toBe(INTERRUPTED);
    expect(
      (await store.listIngestions({ limit: 10 })).some(
        r => r.status === 'running',
      ),
    ).toBe(false);

    // The next scan marks it failed for good and ingests the file again, whole.
    const [retried] = await scanner.scan();
    expect(retried).toMatchObject({
      status: 'succeeded',
      location: 'inbox/october.csv',
      rowCount: 2000,
    });
    expect(retried.totals.USD.billed).toBe(20);
    expect(
      (await knex('cost_ingestions').where({ id: running.id }).first()).status,
    ).toBe('failed');
    expect(await scanner.scan()).toEqual([]);
    expect(stderr).toBe('');
  }, 120_000);
});
