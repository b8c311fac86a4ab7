import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { addDays } from '@internal/plugin-cost-insights-common';
import { demoFocusCsv } from '../demo/generateDemoFocusRows';
import { createTestServices } from '../__testUtils__/testServices';
import { CostAlertService } from './CostAlertService';

const TODAY = '2026-11-18';

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())(
  'CostAlertService (%s)',
  databaseId => {
    it('sends each budget threshold, forecast and spike once, to the owning group, and retries failed sends', async () => {
      const services = await createTestServices(
        await databases.init(databaseId),
        {
          today: TODAY,
        },
      );
      await services.ingester.ingest({
        source: 'demo',
        location: 'demo:test',
        content: demoFocusCsv({ endDay: TODAY, days: 120, seed: 42 }),
      });
      const send = jest.fn<
        ReturnType<NotificationService['send']>,
        Parameters<NotificationService['send']>
      >();
      send.mockRejectedValueOnce(new Error('notifications backend down'));
      send.mockResolvedValue();
      const alerts = new CostAlertService({
        ...services,
        notifications: { send },
        logger: mockServices.logger.mock(),
        settings: { budgetThresholds: [0.5, 0.8, 1], forecastOverBudget: true },
      });

      const first = await alerts.run();
      const sentTo = send.mock.calls.map(([o]) => [
        o.payload.title,
        (o.recipients as { entityRef: string }).entityRef,
      ]);
      // The first send failed and was given back; everything else went out.
      expect(first).toBe(send.mock.calls.length - 1);
      expect(sentTo).toContainEqual([
        'Fraud Scoring Service is forecast to exceed its 2026-11 budget',
        'group:default/fraud-science',
      ]);
      expect(sentTo).toContainEqual([
        'Pricing Science is forecast to exceed its 2026-11 budget',
        'group:default/pricing-science',
      ]);
      expect(sentTo).toContainEqual([
        'Cost spike in Fraud Scoring Service: AWS Data Transfer',
        'group:default/fraud-science',
      ]);
      const spike = send.mock.calls.find(
        ([o]) => o.payload.topic === 'cost-anomaly',
      )![0];
      expect(spike.payload.description).toContain(addDays(TODAY, -4));
      expect(spike.payload.link).toBe(
        '/catalog/default/component/fraud-scoring-service/cost',
      );
      // Only the highest threshold newly crossed is announced per budget.
      const thresholdTitles = sentTo.filter(([t]) => / has used /.test(t));
      expect(
        new Set(thresholdTitles.map(([t]) => t.split(' has used')[0])).size,
      ).toBe(thresholdTitles.length);

      // A rerun sends only what failed before; a third sends nothing.
      send.mockClear();
      const second = await alerts.run();
      expect(second).toBe(1);
      expect(send).toHaveBeenCalledTimes(1);
      send.mockClear();
      expect(await alerts.run()).toBe(0);
      expect(send).not.toHaveBeenCalled();
    });
  },
);
