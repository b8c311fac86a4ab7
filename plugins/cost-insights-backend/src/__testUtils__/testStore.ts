import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { CostCatalog } from '../catalog/CostCatalog';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostIngester } from '../ingestion/CostIngester';
import { DEFAULT_GPU_PATTERN } from '../config';
import { testCatalogEntities } from './catalogFixture';

/** A store on a test database, migrated. */
export async function createTestStore(knex: Knex): Promise<DatabaseCostStore> {
  return DatabaseCostStore.create({
    database: { getClient: async () => knex },
  });
}

/** The cost catalog over an in-memory catalog holding `entities`. */
export function createTestCatalog(
  entities: Entity[] = testCatalogEntities,
): CostCatalog {
  return new CostCatalog({
    catalog: catalogServiceMock({ entities }),
    auth: mockServices.auth(),
    entityKinds: ['Component', 'Resource', 'System'],
    maxAgeMs: 0,
  });
}

/** An ingester with the default attribution settings plus a sub-account mapped to a group. */
export function createTestIngester(
  store: DatabaseCostStore,
  catalog: CostCatalog = createTestCatalog(),
): CostIngester {
  return new CostIngester({
    store,
    catalog,
    attribution: {
      tagKeys: [{ key: 'forge-entity', defaultKind: 'component' }],
      subAccounts: [{ id: 'ml-shared', group: 'ml-platform' }],
    },
    gpuPattern: new RegExp(DEFAULT_GPU_PATTERN, 'i'),
    logger: mockServices.logger.mock(),
  });
}
