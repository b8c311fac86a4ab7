import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { CatalogGroupBudgets, CostInsightsGroupBudgets } from './GroupBudgets';
import { demoCatalog } from '../__testUtils__';

describe('CostInsightsGroupBudgets', () => {
  const credentials = mockCredentials.user('user:default/guest');
  const catalog = new CatalogGroupBudgets(demoCatalog());
  const requests: string[] = [];
  function budgets(respond: (url: string) => Response | Promise<Response>) {
    return new CostInsightsGroupBudgets({
      discovery: mockServices.discovery(),
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      catalog,
      fetch: (async (url: string) => {
        requests.push(url);
        return respond(url);
      }) as any,
    });
  }

  it("takes budget and month-to-date spend from the cost backend, cost center from the group", async () => {
    const status = { entityRef: 'group:default/retention-analytics', monthlyAmount: 9500, monthToDate: 4100.5, currency: 'EUR' };
    const budget = await budgets(() => Response.json(status)).getBudget('group:default/retention-analytics', credentials);
    expect(requests.at(-1)).toMatch(/\/api\/cost-insights\/budgets\/group%3Adefault%2Fretention-analytics$/);
    expect(budget).toEqual({
      groupRef: 'group:default/retention-analytics',
      monthlyBudget: 9500,
      monthToDate: 4100.5,
      currency: 'EUR',
      costCenter: 'CC-4111',
      source: 'cost-insights',
    });
  });

  it('falls back to the annotation when the cost backend has no budget or cannot answer', async () => {
    for (const respond of [
      () => new Response('{}', { status: 404 }),
      () => new Response('boom', { status: 500 }),
      () => Promise.reject(new Error('ECONNREFUSED')),
    ]) {
      expect(await budgets(respond).getBudget('group:default/retention-analytics', credentials)).toEqual({
        groupRef: 'group:default/retention-analytics',
        monthlyBudget: 9000,
        costCenter: 'CC-4111',
        source: 'catalog',
      });
    }
  });
});
