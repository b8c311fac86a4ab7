// Run as a child process by CostIngester.crash.test.ts: ingests one inbox file into a real database, reading it slowly,
// so that the test can kill this process (SIGKILL, as a crash or an OOM kill would) in the middle of the file.
// Environment: FORGE_TEST_KNEX (the knex config as JSON), FORGE_TEST_FILE, FORGE_TEST_LEASE_MS.
import { mockServices } from '@backstage/backend-test-utils';
import { LoggerService } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import knexFactory from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { CostCatalog } from '../catalog/CostCatalog';
import { DEFAULT_GPU_PATTERN } from '../config';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostIngester } from '../ingestion/CostIngester';
import { testCatalogEntities } from './catalogFixture';

const quiet: LoggerService = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => quiet,
};

async function main() {
  const knex = knexFactory(JSON.parse(process.env.FORGE_TEST_KNEX!));
  const store = await DatabaseCostStore.create({
    database: { getClient: async () => knex },
  });
  const ingester = new CostIngester({
    store,
    catalog: new CostCatalog({
      catalog: catalogServiceMock({ entities: testCatalogEntities }),
      auth: mockServices.auth(),
      entityKinds: ['Component'],
      maxAgeMs: 0,
    }),
    attribution: { tagKeys: [], subAccounts: [] },
    gpuPattern: new RegExp(DEFAULT_GPU_PATTERN, 'i'),
    logger: quiet,
    leaseMs: Number(process.env.FORGE_TEST_LEASE_MS),
  });
  const file = process.env.FORGE_TEST_FILE!;
  const stat = fs.statSync(file);
  // A slow disk: 4 KB every 50 ms, so the ingestion is still reading when the test kills this process.
  const slow = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      setTimeout(() => done(null, chunk), 50);
    },
  });
  await ingester.ingest({
    source: 'folder',
    // As CostSourceScanner records inbox files, so that its next scan recognises the interrupted one.
    location: `inbox/${path.basename(file)}`,
    sourceEtag: `${stat.size}-${Math.round(stat.mtimeMs)}`,
    content: fs.createReadStream(file, { highWaterMark: 4096 }).pipe(slow),
  });
  await knex.destroy();
}

main().catch(error => {
  process.stderr.write(String(error?.stack ?? error));
  process.exit(1);
});
