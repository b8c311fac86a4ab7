import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { addDays, toIsoDay } from '@internal/plugin-cost-insights-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { demoCatalogEntities } from './__testUtils__/demoCatalog';
import { costInsightsPlugin } from './plugin';

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())(
  'cost insights plugin in a backend (%s)',
  databaseId => {
    it('loads the demo data on first start, serves it, alerts the owners and answers actions', async () => {
      const knex = await databases.init(databaseId);
      const scheduler = mockServices.scheduler();
      const send = jest.fn().mockResolvedValue(undefined);
      const actions = actionsRegistryServiceMock();
      const inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-inbox-'));
      const today = toIsoDay(new Date());
      const backend = await startTestBackend({
        features: [
          costInsightsPlugin,
          // Tasks run when the test triggers them, not on startup.
          createServiceFactory({
            service: coreServices.scheduler,
            deps: {},
            factory: () => scheduler,
          }),
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({ entities: demoCatalogEntities() }),
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({ send }),
          }),
          createServiceFactory({
            service: actionsRegistryServiceRef,
            deps: {},
            factory: () => actions,
          }),
          mockServices.rootConfig.factory({
            data: {
              forge: {
                cost: {
                  ingestion: { folder: inbox },
                  attribution: {
                    tagKeys: [{ key: 'forge-entity' }],
                    subAccounts: [{ id: '777788889999', group: 'ml-platform' }],
                  },
                  demoData: { enabled: true, days: 95, seed: 42 },
                },
              },
            },
          }),
        ],
      });
      const server = backend.server;
      try {
        await scheduler.triggerTask('cost-insights-ingestion');

        const date = await request(server)
          .get('/api/cost-insights/last-complete-billing-date')
          .set('Authorization', mockCredentials.user.header())
          .expect(200);
        expect(date.body).toEqual({ date: today });

        const summary = await request(server)
          .get('/api/cost-insights/entities/churn-model/summary')
          .set('Authorization', mockCredentials.user.header())
          .expect(200);
        expect(summary.body.monthToDate).toBeGreaterThan(0);
        expect(summary.body.last30DaysTotal).toBeGreaterThan(
          summary.body.last30Days[0].amount,
        );

        const ingestions = await request(server)
          .get('/api/cost-insights/ingestions')
          .set('Authorization', mockCredentials.user.header())
          .expect(200);
        expect(ingestions.body).toEqual([
          expect.objectContaining({
            source: 'demo',
            status: 'succeeded',
            location: `demo:seed=42;days=95;end=${today}`,
          }),
        ]);

        // The demo's spike four days ago reached the fraud team through notifications.
        expect(send).toHaveBeenCalledWith(
          expect.objectContaining({
            recipients: {
              type: 'entity',
              entityRef: 'group:default/fraud-science',
            },
            payload: expect.objectContaining({
              topic: 'cost-anomaly',
              description: expect.stringContaining(addDays(today, -4)),
            }),
          }),
        );

        const forecast = await actions.invoke({
          id: 'test:get-group-cost-forecast',
          input: { group: 'pricing-science' },
          credentials: mockCredentials.user(),
        });
        expect(forecast.output).toMatchObject({
          groupRef: 'group:default/pricing-science',
          currency: 'USD',
          asOf: today,
          budget: { monthlyAmount: 12000, source: 'catalog' },
        });
        const drivers = await actions.invoke({
          id: 'test:get-entity-top-cost-drivers',
          input: { entityRef: 'component:default/churn-model', days: 30 },
          credentials: mockCredentials.user(),
        });
        const services = (
          drivers.output as { drivers: Array<{ service: string }> }
        ).drivers.map(d => d.service);
        expect(services[0]).toBe('Amazon SageMaker');
        expect(services).toContain('Amazon Simple Storage Service');

        const openApi = await request(server)
          .get('/api/cost-insights/openapi.json')
          .expect(200);
        expect(openApi.body.info.title).toBe('Forge cost insights');
      } finally {
        await backend.stop();
        fs.rmSync(inbox, { recursive: true, force: true });
      }
    });
  },
);
