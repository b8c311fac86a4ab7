import express from 'express';
import request from 'supertest';
import { Knex } from 'knex';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createRouter } from './router';
import { createHarness, testDatabases } from './__testUtils__/setup';

jest.setTimeout(60_000);

/** Which permission each route checks; the matrix below proves every route denies without it. */
const ROUTES: Array<{
  method: 'get' | 'post';
  path: string;
  body?: unknown;
  permission: string;
  ok: number;
}> = [
  {
    method: 'get',
    path: '/policy-packs',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'post',
    path: '/policy-packs/reload',
    permission: 'forge.compliance.policy.reload',
    ok: 200,
  },
  {
    method: 'get',
    path: '/scorecards/component/default/churn-model',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'get',
    path: '/scorecards/component/default/churn-model/history',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'get',
    path: '/scorecards/component/default/churn-model/gate-evaluations',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'post',
    path: '/scorecards/component/default/churn-model/evaluate',
    permission: 'forge.compliance.evaluate',
    ok: 200,
  },
  {
    method: 'post',
    path: '/dry-run',
    body: {
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'x' },
      },
    },
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'post',
    path: '/facts/component/default/churn-model',
    body: {
      name: 'dependency-scan',
      collectedAt: '2026-11-25T00:00:00Z',
      data: { critical: 0, high: 0 },
    },
    permission: 'forge.compliance.facts.push',
    ok: 201,
  },
  {
    method: 'get',
    path: '/exemptions',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'post',
    path: '/exemptions',
    body: {
      entityRef: 'component:default/claims-fraud-features',
      checkId: 'data.restricted-in-approved-region',
      justification: 'Migration to eu-west-1 is scheduled for January.',
      compensatingControl: 'Access limited and reviewed weekly.',
      expiresAt: new Date(Date.now() + 10 * 86400_000).toISOString(),
    },
    permission: 'forge.compliance.exemption.request',
    ok: 201,
  },
  {
    method: 'post',
    path: '/exemptions/nope/decision',
    body: { status: 'approved' },
    permission: 'forge.compliance.exemption.approve',
    ok: 404,
  },
  {
    method: 'post',
    path: '/exemptions/nope/revoke',
    body: {},
    permission: 'forge.compliance.exemption.approve',
    ok: 404,
  },
  {
    method: 'get',
    path: '/dashboard',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'get',
    path: '/groups/default/data-science/failing-checks',
    permission: 'forge.compliance.scorecard.read',
    ok: 200,
  },
  {
    method: 'get',
    path: '/evidence?scope=org&format=csv',
    permission: 'forge.compliance.evidence.export',
    ok: 200,
  },
  {
    method: 'get',
    path: '/history/verify',
    permission: 'forge.compliance.evidence.export',
    ok: 200,
  },
];

describe.each(testDatabases.eachSupportedId())(
  'compliance router (%s)',
  databaseId => {
    let knex: Knex;
    let app: express.Express;
    let denied: Set<string>;
    const auditor = mockServices.auditor.mock();

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      const h = await createHarness(knex);
      await h.compliance.evaluateAll();
      denied = new Set();
      const permissions = mockServices.permissions.mock({
        authorize: async (requests: any[]) =>
          requests.map(r => ({
            result: denied.has(r.permission.name)
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
          })),
      } as any);
      const router = await createRouter({
        httpAuth: mockServices.httpAuth(),
        permissions,
        auditor,
        store: h.store,
        loader: h.loader,
        compliance: h.compliance,
        exemptions: h.exemptions,
        evidence: h.evidence,
        dashboard: h.dashboard,
        history: h.history,
      });
      app = express().use(router).use(mockErrorHandler());
    });
    afterEach(() => knex.destroy());

    const call = (route: (typeof ROUTES)[number], auth?: string) => {
      const req = request(app)[route.method](route.path);
      if (auth) req.set('Authorization', auth);
      return route.body ? req.send(route.body as object) : req;
    };

    it.each(
      ROUTES.map(
        r => [`${r.method.toUpperCase()} ${r.path}`, r.permission, r] as const,
      ),
    )(
      '%s: 401 without credentials, 403 without %s, works with it',
      async (_name, _permission, route) => {
        expect((await call(route, mockCredentials.none.header())).status).toBe(
          401,
        );
        denied.add(route.permission);
        const forbidden = await call(
          route,
          mockCredentials.user.header('user:default/guest'),
        );
        expect(forbidden.status).toBe(403);
        denied.clear();
        const allowed = await call(
          route,
          mockCredentials.user.header('user:default/daniel.moreau'),
        );
        expect(allowed.status).toBe(route.ok);
      },
    );

    it('names the invalid field of a pushed fact and stores nothing', async () => {
      const res = await request(app)
        .post('/facts/component/default/churn-model')
        .set('Authorization', mockCredentials.service.header())
        .send({ name: 'Dependency Scan', collectedAt: 'yesterday', data: {} });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(
        /Invalid name: must be lower-case/,
      );
      const unknown = await request(app)
        .post('/facts/component/default/no-such-thing')
        .set('Authorization', mockCredentials.service.header())
        .send({
          name: 'ci',
          collectedAt: '2026-11-25T00:00:00Z',
          data: { status: 'passing' },
        });
      expect(unknown.status).toBe(404);
    });

    it('rejects bad dates, scopes and documents with the accepted format', async () => {
      const user = mockCredentials.user.header('user:default/daniel.moreau');
      const asOf = await request(app)
        .get('/scorecards/component/default/churn-model?asOf=last-week')
        .set('Authorization', user);
      expect(asOf.status).toBe(400);
      expect(asOf.body.error.message).toMatch(/asOf: must be an ISO 8601 date/);
      const scope = await request(app)
        .get('/evidence?scope=everything')
        .set('Authorization', user);
      expect(scope.body.error.message).toMatch(
        /'org', 'group:<group ref>' or 'entity:<entity ref>'/,
      );
      const doc = await request(app)
        .post('/dry-run')
        .set('Authorization', user)
        .send({ entity: { kind: 'Component' } });
      expect(doc.status).toBe(400);
      expect(doc.body.error.message).toMatch(/entity\.apiVersion/);
    });

    it('lets only the scaffolder (a service) file gate approvals and record gate evidence', async () => {
      const body = {
        kind: 'approval',
        entityRef: 'group:default/fraud-science',
        checkId: 'approval.restricted-data',
        justification:
          'Fraud model on restricted claims data for the SIU pilot.',
        compensatingControl: 'Pseudonymised extract; access reviewed monthly.',
        expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
      };
      const asUser = await request(app)
        .post('/exemptions')
        .set('Authorization', mockCredentials.user.header())
        .send(body);
      expect(asUser.status).toBe(403);
      const asService = await request(app)
        .post('/exemptions')
        .set('Authorization', mockCredentials.service.header())
        .send(body);
      expect(asService.status).toBe(201);
      const evidence = await request(app)
        .post('/gate-evaluations')
        .set('Authorization', mockCredentials.user.header())
        .send({
          entityRef: 'component:default/x',
          decision: 'passed',
          evaluation: {
            entityRef: 'component:default/x',
            score: 100,
            level: 'gold',
            results: [],
          },
        });
      expect(evidence.status).toBe(403);
    });

    it('records the person a gate approval is filed for, who then may not decide it', async () => {
      const body = {
        kind: 'approval',
        entityRef: 'group:default/compliance-risk',
        checkId: 'approval.restricted-data',
        justification:
          'Quarterly control testing on restricted claims samples.',
        compensatingControl: 'Read-only extract; access reviewed monthly.',
        expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
      };
      // Only a service may say whom it files for, and only as a full user reference.
      const fromUser = await request(app)
        .post('/exemptions')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/daniel.moreau'),
        )
        .send({
          ...body,
          kind: 'exemption',
          entityRef: 'component:default/churn-model',
          checkId: 'docs.techdocs',
          onBehalfOf: 'user:default/daniel.moreau',
        });
      expect(fromUser.status).toBe(403);
      const malformed = await request(app)
        .post('/exemptions')
        .set('Authorization', mockCredentials.service.header())
        .send({ ...body, onBehalfOf: 'daniel' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toMatch(
        /onBehalfOf: must be a full user reference/,
      );

      const filed = await request(app)
        .post('/exemptions')
        .set('Authorization', mockCredentials.service.header())
        .send({ ...body, onBehalfOf: 'user:default/daniel.moreau' });
      expect(filed.status).toBe(201);
      expect(filed.body.requestedBy).toBe('user:default/daniel.moreau');
      // Daniel holds the approve permission, but not for his own request.
      const own = await request(app)
        .post(`/exemptions/${filed.body.id}/decision`)
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/daniel.moreau'),
        )
        .send({ status: 'approved' });
      expect(own.status).toBe(403);
      expect(own.body.error.message).toMatch(/You requested this exemption/);
    });

    it('audits changes that matter', async () => {
      auditor.createEvent.mockClear();
      await call(
        ROUTES.find(r => r.path === '/exemptions' && r.method === 'post')!,
        mockCredentials.user.header('user:default/mateo.garcia'),
      );
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'exemption-request',
          severityLevel: 'medium',
        }),
      );
    });
  },
);
