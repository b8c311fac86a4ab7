import { MockFetchApi, registerMswTestHooks } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { CostClient } from './CostClient';

const server = setupServer();
const base = 'http://forge.test/api/cost-insights';

describe('CostClient', () => {
  registerMswTestHooks(server);
  const client = new CostClient({
    discoveryApi: { getBaseUrl: async () => base },
    fetchApi: new MockFetchApi(),
  });

  it('asks for an entity by its encoded ref', async () => {
    server.use(
      http.get(`${base}/entities/:ref/summary`, ({ params }) =>
        HttpResponse.json({ entityRef: params.ref, monthToDate: 12 }),
      ),
    );
    const summary = await client.getEntitySummary(
      'component:default/churn-model',
    );
    expect(summary).toMatchObject({
      entityRef: 'component:default/churn-model',
      monthToDate: 12,
    });
  });

  it('passes ranges and days as query parameters, and sends budgets as JSON', async () => {
    const seen: string[] = [];
    server.use(
      http.get(`${base}/entities/:ref/breakdown`, ({ request }) => {
        seen.push(new URL(request.url).search);
        return HttpResponse.json({ lines: [] });
      }),
      http.put(`${base}/budgets/:ref`, async ({ request, params }) =>
        HttpResponse.json({
          entityRef: params.ref,
          ...((await request.json()) as object),
        }),
      ),
    );
    await client.getEntityBreakdown('component:default/x', {
      start: '2026-10-01',
      end: '2026-11-01',
    });
    expect(seen).toEqual(['?start=2026-10-01&end=2026-11-01']);
    expect(
      await client.setBudget('group:default/pricing-science', 12500),
    ).toEqual({
      entityRef: 'group:default/pricing-science',
      monthlyAmount: 12500,
    });
  });

  it('turns an error response into a ResponseError carrying the server message', async () => {
    server.use(
      http.get(`${base}/groups/:ref/summary`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotFoundError',
              message: 'No group group:default/nobody in the catalog',
            },
            request: { method: 'GET', url: '/groups/nobody/summary' },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    await expect(
      client.getGroupSummary('group:default/nobody'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      body: {
        error: { message: 'No group group:default/nobody in the catalog' },
      },
    });
  });

  it('downloads the CSV export with the file name the server gives', async () => {
    server.use(
      http.get(
        `${base}/entities/:ref/export.csv`,
        () =>
          new HttpResponse('day,entityRef\n2026-11-01,component:default/x\n', {
            headers: {
              'Content-Type': 'text/csv',
              'Content-Disposition': 'attachment; filename="cost-x.csv"',
            },
          }),
      ),
    );
    const { blob, fileName } = await client.exportEntityCsv(
      'component:default/x',
    );
    expect(fileName).toBe('cost-x.csv');
    expect(await blob.text()).toContain('2026-11-01,component:default/x');
  });
});
