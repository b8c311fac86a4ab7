import { ResponseError } from '@backstage/errors';
import { MockFetchApi, registerMswTestHooks } from '@backstage/test-utils';
import { ComplianceClient } from '@internal/plugin-compliance-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { scorecardFixture } from '../__testUtils__/fixtures';

const base = 'http://forge.test/api/compliance';

describe('ComplianceClient (as the portal uses it)', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new ComplianceClient({
    discoveryApi: {
      getBaseUrl: async pluginId => `http://forge.test/api/${pluginId}`,
    },
    fetchApi: new MockFetchApi({ injectIdentityAuth: { token: 'user-token' } }),
  });

  it('asks for the scorecard as of a date, with the caller’s token', async () => {
    let seen: { url: string; auth: string | null } | undefined;
    server.use(
      http.get(
        `${base}/scorecards/component/default/churn-model`,
        ({ request }) => {
          seen = {
            url: request.url,
            auth: request.headers.get('authorization'),
          };
          return HttpResponse.json(
            scorecardFixture({ asOf: '2026-11-01T23:59:59.999Z' }),
          );
        },
      ),
    );
    const scorecard = await client.getScorecard(
      'component:default/churn-model',
      {
        asOf: '2026-11-01T23:59:59.999Z',
      },
    );
    expect(scorecard.score).toBe(61);
    expect(new URL(seen!.url).searchParams.get('asOf')).toBe(
      '2026-11-01T23:59:59.999Z',
    );
    expect(seen!.auth).toBe('Bearer user-token');
  });

  it('posts an exemption request as JSON', async () => {
    let body: unknown;
    let contentType: string | null = null;
    server.use(
      http.post(`${base}/exemptions`, async ({ request }) => {
        body = await request.json();
        contentType = request.headers.get('content-type');
        return HttpResponse.json(
          { id: 'ex-1', status: 'pending' },
          { status: 201 },
        );
      }),
    );
    const request = {
      entityRef: 'component:default/churn-model',
      checkId: 'env.monitoring',
      justification: 'Metrics ship with the next release in two weeks.',
      compensatingControl: 'On-call checks the dashboards daily.',
      expiresAt: '2027-01-01T00:00:00.000Z',
    };
    await expect(client.requestExemption(request)).resolves.toMatchObject({
      id: 'ex-1',
    });
    expect(body).toEqual(request);
    expect(contentType).toBe('application/json');
  });

  it('turns a refusal into a ResponseError carrying the server’s message', async () => {
    server.use(
      http.post(`${base}/exemptions/ex-1/decision`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'You cannot decide your own exemption request',
            },
            request: { method: 'POST', url: '/exemptions/ex-1/decision' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    const error = await client
      .decideExemption('ex-1', { status: 'approved' })
      .catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(403);
    expect(error.cause.message).toBe(
      'You cannot decide your own exemption request',
    );
  });

  it('downloads evidence with the file name the server chose', async () => {
    let query: URLSearchParams | undefined;
    server.use(
      http.get(`${base}/evidence`, ({ request }) => {
        query = new URL(request.url).searchParams;
        return new HttpResponse(
          'entity_ref,check_id,status\ncomponent:default/churn-model,env.monitoring,fail\n',
          {
            headers: {
              'content-type': 'text/csv; charset=utf-8',
              'content-disposition':
                'attachment; filename="forge-evidence-2026-11-26.csv"',
            },
          },
        );
      }),
    );
    const file = await client.exportEvidence({
      scope: 'group:group:default/retention-analytics',
      framework: 'NIST-800-53',
      control: undefined,
      format: 'csv',
    });
    expect(file.filename).toBe('forge-evidence-2026-11-26.csv');
    expect(await file.blob.text()).toContain('env.monitoring,fail');
    expect(Object.fromEntries(query!)).toEqual({
      scope: 'group:group:default/retention-analytics',
      framework: 'NIST-800-53',
      format: 'csv',
    });
  });

  it('reads the failing checks of a team from its group path', async () => {
    server.use(
      http.get(
        `${base}/groups/default/retention-analytics/failing-checks`,
        () =>
          HttpResponse.json({
            groupRef: 'group:default/retention-analytics',
            items: [{ checkId: 'env.monitoring' }],
          }),
      ),
    );
    await expect(
      client.getGroupFailingChecks('group:default/retention-analytics'),
    ).resolves.toEqual([{ checkId: 'env.monitoring' }]);
  });

  it('reads the history, the dashboard and the chain verification', async () => {
    server.use(
      http.get(
        `${base}/scorecards/component/default/churn-model/history`,
        ({ request }) =>
          HttpResponse.json({
            items: [
              { seq: Number(new URL(request.url).searchParams.get('limit')) },
            ],
          }),
      ),
      http.get(`${base}/dashboard`, ({ request }) =>
        HttpResponse.json({
          rootGroupRef: new URL(request.url).searchParams.get('group'),
        }),
      ),
      http.get(`${base}/history/verify`, () =>
        HttpResponse.json({ ok: true, checked: 12 }),
      ),
    );
    await expect(
      client.getHistory('component:default/churn-model', { limit: 1000 }),
    ).resolves.toEqual([{ seq: 1000 }]);
    await expect(
      client.getDashboard({ group: 'group:default/data-science' }),
    ).resolves.toEqual({
      rootGroupRef: 'group:default/data-science',
    });
    await expect(client.verifyHistory()).resolves.toEqual({
      ok: true,
      checked: 12,
    });
  });
});
