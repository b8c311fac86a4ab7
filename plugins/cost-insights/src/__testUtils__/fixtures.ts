import { Entity } from '@backstage/catalog-model';
import {
  addDays,
  Budget,
  BudgetStatus,
  CostAlert,
  CostAnomaly,
  IngestionRecord,
  Recommendation,
  Cost,
  CostForecast,
  DateAggregation,
  EntityCostBreakdown,
  EntityCostSummary,
  GroupCostSummary,
  OrganizationCostOverview,
} from '@internal/plugin-cost-insights-common';
import { CostApi, DayRange } from '../api';

export const AS_OF = '2026-11-25';

export const churnModel: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'churn-model',
    namespace: 'default',
    title: 'Churn Model',
    annotations: {
      'forge.io/cost-tags': 'forge-project=churn-model',
      'forge.io/monthly-budget': '4200',
    },
  },
  spec: { type: 'ml-pipeline', owner: 'group:default/retention-analytics' },
};

export const pricingScience: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: {
    name: 'pricing-science',
    namespace: 'default',
    title: 'Pricing Science',
  },
  spec: { type: 'sub-team', children: [] },
};

/** `n` days ending on AS_OF, costing `amount(i)` on the i-th. */
export function days(
  n: number,
  amount: (i: number) => number,
): DateAggregation[] {
  return Array.from({ length: n }, (_, i) => ({
    date: addDays(AS_OF, i - n + 1),
    amount: amount(i),
  }));
}

export function forecastFixture(
  overrides: Partial<CostForecast> = {},
): CostForecast {
  return {
    method: 'Least-squares linear trend with day-of-week effects',
    confidence: 0.8,
    currency: 'USD',
    historyDays: 56,
    asOf: AS_OF,
    month: '2026-11',
    monthToDate: 2944.43,
    monthEnd: { amount: 3296.63, lower: 3283.56, upper: 3309.69 },
    next30Days: { amount: 3500, lower: 3300, upper: 3700 },
    next90Days: { amount: 10400, lower: 9900, upper: 10900 },
    daily: Array.from({ length: 30 }, (_, i) => ({
      date: addDays(AS_OF, i + 1),
      amount: 115,
      lower: 100,
      upper: 130,
    })),
    ...overrides,
  };
}

export function budgetFixture(
  overrides: Partial<BudgetStatus> = {},
): BudgetStatus {
  return {
    entityRef: 'component:default/churn-model',
    monthlyAmount: 4200,
    currency: 'USD',
    source: 'catalog',
    month: '2026-11',
    monthToDate: 2944.43,
    burnRatePerDay: 117.78,
    forecastMonthEnd: { amount: 3296.63, lower: 3283.56, upper: 3309.69 },
    usedRatio: 2944.43 / 4200,
    forecastRatio: 3296.63 / 4200,
    ...overrides,
  };
}

export function summaryFixture(
  overrides: Partial<EntityCostSummary> = {},
): EntityCostSummary {
  const last30Days = days(30, i => 100 + i);
  return {
    entityRef: 'component:default/churn-model',
    currency: 'USD',
    lastCompleteBillingDate: AS_OF,
    monthToDate: 2944.43,
    last30Days,
    last30DaysTotal: last30Days.reduce((s, d) => s + d.amount, 0),
    change: { ratio: 0.12, amount: 370 },
    trendline: { slope: 0.00001, intercept: 100 },
    budget: budgetFixture(),
    forecast: forecastFixture(),
    includes: ['component:default/churn-model'],
    problems: [],
    ...overrides,
  };
}

function cost(id: string, amounts: DateAggregation[], name?: string): Cost {
  return {
    id,
    ...(name ? { name } : {}),
    aggregation: amounts,
    change: { amount: 0 },
  };
}

export function breakdownFixture(): EntityCostBreakdown {
  const daily = days(30, () => 110);
  return {
    entityRef: 'component:default/churn-model',
    currency: 'USD',
    start: addDays(AS_OF, -29),
    endExclusive: addDays(AS_OF, 1),
    total: 3300,
    daily: {
      ...cost('component:default/churn-model', daily),
      groupedCosts: {
        service: [
          cost(
            'Amazon SageMaker',
            days(30, () => 90),
          ),
          cost(
            'Amazon Simple Storage Service',
            days(30, () => 20),
          ),
        ],
      },
    },
    lines: [
      {
        serviceCategory: 'AI and Machine Learning',
        serviceName: 'Amazon SageMaker',
        provider: 'AWS',
        region: 'eu-west-1',
        subAccountId: '444455556666',
        chargeCategory: 'Usage',
        amount: 2700,
        billedCost: 2700,
        effectiveCost: 2700,
        listCost: 3068.18,
      },
      {
        serviceCategory: 'Storage',
        serviceName: 'Amazon Simple Storage Service',
        provider: 'AWS',
        region: 'eu-west-1',
        subAccountId: '444455556666',
        chargeCategory: 'Usage',
        amount: 600,
        billedCost: 600,
        effectiveCost: 600,
        listCost: 681.82,
      },
    ],
  };
}

export function groupSummaryFixture(): GroupCostSummary {
  const daily = days(90, () => 400);
  return {
    groupRef: 'group:default/pricing-science',
    name: 'Pricing Science',
    currency: 'USD',
    lastCompleteBillingDate: AS_OF,
    start: addDays(AS_OF, -89),
    endExclusive: addDays(AS_OF, 1),
    daily: {
      ...cost('group:default/pricing-science', daily),
      groupedCosts: {
        entity: [
          cost(
            'component:default/pricing-glm-training',
            days(90, () => 300),
            'Motor Pricing GLM Training',
          ),
          cost(
            'component:default/pricing-workspace',
            days(90, () => 100),
            'Pricing Data Science Workspace',
          ),
        ],
        service: [
          cost(
            'Vertex AI',
            days(90, () => 300),
          ),
          cost(
            'Compute Engine',
            days(90, () => 100),
          ),
        ],
      },
    },
    monthToDate: 10000,
    budget: budgetFixture({
      entityRef: 'group:default/pricing-science',
      monthlyAmount: 12000,
      monthToDate: 10000,
      usedRatio: 10000 / 12000,
      forecastMonthEnd: { amount: 12600, lower: 12300, upper: 12900 },
      forecastRatio: 12600 / 12000,
    }),
    forecast: forecastFixture({
      monthToDate: 10000,
      monthEnd: { amount: 12600, lower: 12300, upper: 12900 },
    }),
    topMovers: [
      {
        entityRef: 'component:default/pricing-glm-training',
        name: 'Motor Pricing GLM Training',
        current: 9000,
        previous: 5000,
        change: { ratio: 0.8, amount: 4000 },
      },
    ],
    subGroups: [],
  };
}

export function overviewFixture(): OrganizationCostOverview {
  const daily = days(30, () => 1200);
  return {
    currency: 'USD',
    lastCompleteBillingDate: AS_OF,
    start: addDays(AS_OF, -29),
    endExclusive: addDays(AS_OF, 1),
    total: 36000,
    attributed: 33000,
    unattributed: 3000,
    monthToDate: 30000,
    forecast: forecastFixture({
      monthToDate: 30000,
      monthEnd: { amount: 36100, lower: 35800, upper: 36400 },
    }),
    daily: {
      ...cost('organization', daily),
      groupedCosts: {
        group: [
          cost(
            'group:default/data-analytics',
            days(30, () => 900),
            'Data & Analytics',
          ),
          cost(
            '',
            days(30, () => 100),
            'Unattributed',
          ),
        ],
      },
    },
    byGroup: [
      {
        key: 'group:default/data-analytics',
        name: 'Data & Analytics',
        amount: 27000,
        previousAmount: 25000,
        change: { ratio: 0.08, amount: 2000 },
      },
    ],
    byProvider: [
      {
        key: 'AWS',
        amount: 25000,
        previousAmount: 24000,
        change: { ratio: 0.04, amount: 1000 },
      },
    ],
    byServiceCategory: [
      {
        key: 'Compute',
        amount: 14000,
        previousAmount: 13000,
        change: { ratio: 0.08, amount: 1000 },
      },
    ],
    budgets: [
      budgetFixture({
        entityRef: 'group:default/pricing-science',
        monthlyAmount: 12000,
        usedRatio: 0.83,
        forecastRatio: 1.05,
      }),
    ],
  };
}

/** A CostApi whose every method is a jest mock, answering with the fixtures; tests override with mockResolvedValue. */
export function mockCostApi(): jest.Mocked<CostApi> {
  return {
    getEntitySummary: jest.fn(async (_entityRef: string) => summaryFixture()),
    getEntityBreakdown: jest.fn(async (_entityRef: string, _range?: DayRange) =>
      breakdownFixture(),
    ),
    exportEntityCsv: jest.fn(async (_entityRef: string, _range?: DayRange) => ({
      blob: new Blob(['day\n']),
      fileName: 'cost.csv',
    })),
    getGroupSummary: jest.fn(async (_groupRef: string, _days?: number) =>
      groupSummaryFixture(),
    ),
    getGroupAlerts: jest.fn(
      async (_groupRef: string): Promise<CostAlert[]> => [],
    ),
    getOverview: jest.fn(async (_days?: number) => overviewFixture()),
    getRecommendations: jest.fn(
      async (_scope?: string): Promise<Recommendation[]> => [],
    ),
    getAnomalies: jest.fn(
      async (_scope?: string, _days?: number): Promise<CostAnomaly[]> => [],
    ),
    setBudget: jest.fn(
      async (entityRef: string, monthlyAmount: number): Promise<Budget> => ({
        entityRef,
        monthlyAmount,
        currency: 'USD',
        source: 'forge',
      }),
    ),
    deleteBudget: jest.fn(async (_entityRef: string) => undefined),
    uploadExport: jest.fn(async (_file: File): Promise<IngestionRecord> => {
      throw new Error('not expected');
    }),
    listIngestions: jest.fn(
      async (_limit?: number): Promise<IngestionRecord[]> => [],
    ),
  };
}
