import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { addDays, startOfMonth } from '@internal/plugin-cost-insights-common';
import { CostCatalog } from '../catalog/CostCatalog';
import { DEFAULT_GPU_PATTERN } from '../config';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import {
  demoBillingTags,
  demoFocusCsv,
  generateDemoFocusRows,
} from '../demo/generateDemoFocusRows';
import { CostIngester } from '../ingestion/CostIngester';
import {
  DEMO_ATTRIBUTION,
  demoCatalogEntities,
} from '../__testUtils__/demoCatalog';
import { createTestStore } from '../__testUtils__/testStore';
import { AnomalyService } from './AnomalyService';
import { BudgetService } from './BudgetService';
import { CostInsightsCompatService } from './CostInsightsCompatService';
import { CostQueryService } from './CostQueryService';
import { CostViewService } from './CostViewService';
import { RecommendationService } from './RecommendationService';

const END = '2026-11-18';
const DEMO = { endDay: END, days: 120, seed: 42 };

/** Sums of the generated demo rows, straight from the generator. */
function demoSums(filter: (row: ReturnType<typeof rows>[number]) => boolean) {
  return rows()
    .filter(filter)
    .reduce((s, r) => s + Number(r.EffectiveCost), 0);
}
function rows() {
  return [...generateDemoFocusRows(DEMO)];
}
const tagged = (name: string) => (r: ReturnType<typeof rows>[number]) =>
  r.Tags !== 'NULL' && JSON.parse(r.Tags)['forge-project'] === name;
const between =
  (start: string, endExclusive: string) =>
  (r: ReturnType<typeof rows>[number]) =>
    r.ChargePeriodStart.slice(0, 10) >= start &&
    r.ChargePeriodStart.slice(0, 10) < endExclusive;

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())(
  'cost services on the demo data (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let query: CostQueryService;
    let budgets: BudgetService;
    let views: CostViewService;
    let anomalies: AnomalyService;
    let recommendations: RecommendationService;
    let compat: CostInsightsCompatService;

    beforeAll(async () => {
      store = await createTestStore(await databases.init(databaseId));
      const catalog = new CostCatalog({
        catalog: catalogServiceMock({ entities: demoCatalogEntities() }),
        auth: mockServices.auth(),
        entityKinds: ['Component', 'Resource', 'System'],
      });
      const ingester = new CostIngester({
        store,
        catalog,
        attribution: DEMO_ATTRIBUTION,
        gpuPattern: new RegExp(DEFAULT_GPU_PATTERN, 'i'),
        logger: mockServices.logger.mock(),
      });
      const record = await ingester.ingest({
        source: 'demo',
        location: 'demo:test',
        content: demoFocusCsv(DEMO),
      });
      if (record.status !== 'succeeded' || record.focusVersion !== '1.1') {
        throw new Error(
          `The demo data did not load: ${JSON.stringify(record)}`,
        );
      }
      query = new CostQueryService({
        store,
        catalog,
        currency: 'USD',
        costMetric: 'effective',
        now: () => new Date(`${END}T12:00:00Z`),
      });
      budgets = new BudgetService({ store, query });
      anomalies = new AnomalyService({
        query,
        settings: { baselineDays: 28, minimumExcess: 50, minimumScore: 4 },
      });
      views = new CostViewService({ query, budgets });
      recommendations = new RecommendationService({ query, budgets });
      compat = new CostInsightsCompatService({
        query,
        catalog,
        budgets,
        anomalies,
        budgetThresholds: [0.8, 1],
      });
    });

    it('generates the same rows from the same seed, 90+ days up to the end day', () => {
      const first = rows();
      expect(rows()).toEqual(first);
      const days = new Set(first.map(r => r.ChargePeriodStart.slice(0, 10)));
      expect(days.size).toBe(120);
      expect([...days].sort().pop()).toBe(END);
      expect(new Set(first.map(r => r.ProviderName))).toEqual(
        new Set(['AWS', 'Microsoft', 'Google Cloud']),
      );
    });

    it('bills every project the demo catalog tags, and nothing it does not', async () => {
      const snapshot = await query.snapshot();
      const claimed = snapshot
        .costTags()
        .claims.map(c => `${c.tag.key}=${c.tag.value}`)
        .sort();
      expect(demoBillingTags()).toEqual(claimed);
      // GPU spend for the ML projects.
      const gpu = await query.aggregate(
        await query.scopeOf(undefined),
        addDays(END, -29),
        addDays(END, 1),
        ['entityRef'],
        { measures: ['gpuCost'] },
      );
      expect(
        gpu
          .filter(r => (r.gpuCost ?? 0) > 0)
          .map(r => r.entityRef)
          .sort(),
      ).toEqual([
        'component:default/churn-model',
        'component:default/fraud-scoring-service',
        'component:default/pricing-glm-training',
        'component:default/pricing-workspace',
      ]);
    });

    it("shows an entity's month to date, last 30 days and forecast as the rows add up", async () => {
      const summary = await views.entitySummary('churn-model');
      expect(summary.entityRef).toBe('component:default/churn-model');
      expect(summary.lastCompleteBillingDate).toBe(END);
      const monthStart = startOfMonth(END);
      expect(summary.monthToDate).toBeCloseTo(
        demoSums(
          r =>
            tagged('churn-model')(r) && between(monthStart, addDays(END, 1))(r),
        ),
        6,
      );
      expect(summary.last30Days).toHaveLength(30);
      expect(summary.last30DaysTotal).toBeCloseTo(
        demoSums(
          r =>
            tagged('churn-model')(r) &&
            between(addDays(END, -29), addDays(END, 1))(r),
        ),
        6,
      );
      expect(summary.budget).toMatchObject({
        monthlyAmount: 4200,
        source: 'catalog',
      });
      expect(summary.forecast.monthEnd.amount).toBeGreaterThan(
        summary.monthToDate,
      );
      expect(summary.forecast.monthEnd.lower).toBeLessThanOrEqual(
        summary.forecast.monthEnd.amount,
      );
      expect(summary.forecast.method).toMatch(/least-squares/i);
    });

    it('rolls cost up from entities to owning groups and parent groups', async () => {
      const start = addDays(END, -29);
      const end = addDays(END, 1);
      const total = async (ref: string) =>
        (
          await query.breakdown(
            await query.scopeOf(ref, 'group'),
            'entity',
            start,
            end,
          )
        ).total;
      const fraud = await total('fraud-science');
      const pricing = await total('pricing-science');
      const dataScience = await total('data-science');
      expect(dataScience).toBeCloseTo(fraud + pricing, 6);
      expect(pricing).toBeCloseTo(
        demoSums(
          r =>
            (tagged('pricing-glm-training')(r) ||
              tagged('pricing-workspace')(r)) &&
            between(start, end)(r),
        ),
        6,
      );
      // The shared ML sub-account is attributed to ML Platform by the sub-account mapping.
      const mlPlatform = await query.breakdown(
        await query.scopeOf('ml-platform', 'group'),
        'entity',
        start,
        end,
      );
      expect(mlPlatform.rows.map(r => r.key).sort()).toEqual([
        'component:default/feature-store-service',
        'group:default/ml-platform',
      ]);
    });

    it('keeps untagged spend as unattributed, and the organisation total whole', async () => {
      const overview = await views.overview(30);
      const start = addDays(END, -29);
      const end = addDays(END, 1);
      expect(overview.total).toBeCloseTo(demoSums(between(start, end)), 6);
      expect(overview.unattributed).toBeGreaterThan(0);
      expect(overview.attributed + overview.unattributed).toBeCloseTo(
        overview.total,
        6,
      );
      expect(overview.byGroup.find(r => r.key === '')?.amount).toBeCloseTo(
        overview.unattributed,
        6,
      );
      expect(overview.byProvider.map(r => r.key).sort()).toEqual([
        'AWS',
        'Google Cloud',
        'Microsoft',
      ]);
    });

    it('finds the one clear anomaly: the data transfer spike of the fraud scoring service', async () => {
      const found = await anomalies.anomalies(await query.scopeOf(undefined), {
        days: 30,
      });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        entityRef: 'component:default/fraud-scoring-service',
        service: 'AWS Data Transfer',
        day: addDays(END, -4),
      });
      expect(found[0].amount / found[0].baseline).toBeGreaterThan(8);
    });

    it('recommends tagging, GPU savings and budget action with monthly figures', async () => {
      const recs = await recommendations.recommendations(
        await query.scopeOf(undefined),
      );
      const kinds = (kind: string) => recs.filter(r => r.kind === kind);
      expect(kinds('tag-unattributed-spend').map(r => r.id)).toContain(
        'tag-unattributed-spend:AWS:111122223333',
      );
      const idle = kinds('idle-gpu-capacity');
      expect(idle.map(r => r.entityRef)).toEqual([
        'component:default/churn-model',
      ]);
      expect(idle[0].estimatedMonthlySavings).toBeGreaterThan(0);
      const offHours = kinds('gpu-running-off-hours');
      expect(offHours.map(r => r.entityRef)).toEqual([
        'component:default/pricing-workspace',
      ]);
      // The workspace runs 4 T4 instances around the clock: about 8.7 weekend days a month of it.
      const weekendDay = 24 * 4 * 0.73 * 0.9;
      expect(offHours[0].estimatedMonthlySavings).toBeGreaterThan(
        weekendDay * 8.7 * 0.9,
      );
      expect(offHours[0].estimatedMonthlySavings).toBeLessThan(
        weekendDay * 8.7 * 1.1,
      );
      // The always-on inference service is not told to stop at weekends.
      expect(offHours.map(r => r.entityRef)).not.toContain(
        'component:default/fraud-scoring-service',
      );
      // The inference service grows and spiked; the pricing team's training grew: both head over budget.
      const overruns = kinds('budget-overrun');
      expect(overruns.map(r => r.entityRef).sort()).toEqual([
        'component:default/fraud-scoring-service',
        'group:default/pricing-science',
      ]);
      for (const r of overruns)
        expect(r.estimatedMonthlySavings).toBeGreaterThan(0);
    });

    it('answers the Cost Insights API shapes', async () => {
      const intervals = `R2/P30D/${addDays(END, 1)}`;
      const cost = await compat.getGroupDailyCost(
        'group:default/pricing-science',
        intervals,
      );
      expect(cost.aggregation).toHaveLength(60);
      const periodTotal = (from: string, to: string) =>
        cost.aggregation
          .filter(a => a.date >= from && a.date < to)
          .reduce((s, a) => s + a.amount, 0);
      const current = periodTotal(addDays(END, -29), addDays(END, 1));
      const previous = periodTotal(addDays(END, -59), addDays(END, -29));
      expect(cost.change!.amount).toBeCloseTo(current - previous, 6);
      expect(cost.change!.ratio).toBeCloseTo(
        (current - previous) / previous,
        6,
      );
      expect(cost.groupedCosts!.project.map(p => p.id).sort()).toEqual([
        'component:default/pricing-glm-training',
        'component:default/pricing-workspace',
      ]);
      expect(cost.trendline!.slope).toBeGreaterThan(0); // the A100 training runs grew

      const insights = await compat.getProductInsights({
        product: 'ai-and-machine-learning',
        group: 'data-science',
        intervals,
      });
      expect(insights.entities.service.map(s => s.id)).toEqual(['Vertex AI']);
      expect(insights.aggregation[1]).toBeGreaterThan(insights.aggregation[0]);

      expect(await compat.getUserGroups('user:default/guest')).toEqual(
        expect.any(Array),
      );
      await expect(
        compat.getGroupDailyCost('no-such-team', intervals),
      ).rejects.toThrow('No group group:default/no-such-team');
      await expect(
        compat.getGroupDailyCost('pricing-science', 'R2/P30D'),
      ).rejects.toThrow('R2/P30D/2026-11-26');
      const alerts = await compat.getAlerts('fraud-science');
      expect(alerts.map(a => a.kind)).toContain('anomaly');
    });

    it('lets a budget set in Forge take precedence over the catalog, until removed', async () => {
      await budgets.setBudget(
        'churn-model',
        { monthlyAmount: 100 },
        'user:default/admin',
      );
      const set = await budgets.status(await query.scopeOf('churn-model'));
      expect(set).toMatchObject({ monthlyAmount: 100, source: 'forge' });
      expect(set!.usedRatio).toBeGreaterThan(1);
      await expect(
        budgets.setBudget('churn-model', { monthlyAmount: -5 }, 'x'),
      ).rejects.toThrow('monthlyAmount must be more than 0');
      await expect(
        budgets.setBudget(
          'churn-model',
          { monthlyAmount: 5, currency: 'EUR' },
          'x',
        ),
      ).rejects.toThrow('billing currency USD');
      await budgets.deleteBudget('churn-model');
      expect(
        await budgets.status(await query.scopeOf('churn-model')),
      ).toMatchObject({
        monthlyAmount: 4200,
        source: 'catalog',
      });
      await expect(budgets.deleteBudget('churn-model')).rejects.toThrow(
        'No budget set in Forge',
      );
    });
  },
);
