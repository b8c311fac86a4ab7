import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { CostCatalog } from '../catalog/CostCatalog';
import { DEFAULT_GPU_PATTERN } from '../config';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostIngester } from '../ingestion/CostIngester';
import { AnomalyService } from '../service/AnomalyService';
import { BudgetService } from '../service/BudgetService';
import { CostInsightsCompatService } from '../service/CostInsightsCompatService';
import { CostQueryService } from '../service/CostQueryService';
import { CostViewService } from '../service/CostViewService';
import { RecommendationService } from '../service/RecommendationService';
import { DEMO_ATTRIBUTION, demoCatalogEntities } from './demoCatalog';

/** Every cost service wired as the plugin wires them, on a test database and an in-memory catalog. */
export async function createTestServices(
  knex: Knex,
  options: { entities?: Entity[]; today: string },
) {
  const store = await DatabaseCostStore.create({
    database: { getClient: async () => knex },
  });
  const catalog = new CostCatalog({
    catalog: catalogServiceMock({
      entities: options.entities ?? demoCatalogEntities(),
    }),
    auth: mockServices.auth(),
    entityKinds: ['Component', 'Resource', 'System'],
    maxAgeMs: 0,
  });
  const ingester = new CostIngester({
    store,
    catalog,
    attribution: DEMO_ATTRIBUTION,
    gpuPattern: new RegExp(DEFAULT_GPU_PATTERN, 'i'),
    logger: mockServices.logger.mock(),
  });
  const query = new CostQueryService({
    store,
    catalog,
    currency: 'USD',
    costMetric: 'effective',
    now: () => new Date(`${options.today}T12:00:00Z`),
  });
  const budgets = new BudgetService({ store, query });
  const anomalies = new AnomalyService({
    query,
    settings: { baselineDays: 28, minimumExcess: 50, minimumScore: 4 },
  });
  const views = new CostViewService({ query, budgets });
  const recommendations = new RecommendationService({ query, budgets });
  const compat = new CostInsightsCompatService({
    query,
    catalog,
    budgets,
    anomalies,
    budgetThresholds: [0.8, 1],
  });
  return {
    store,
    catalog,
    ingester,
    query,
    budgets,
    anomalies,
    views,
    recommendations,
    compat,
  };
}
