import express from 'express';
import request from 'supertest';
import { Knex } from 'knex';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  DEFAULT_SERVICE_PERMISSIONS,
  ForgeGuard,
  ServicePermissions,
} from '@internal/plugin-forge-node';
import { createRouter } from './router';
import { createHarness, testDatabases } from './__testUtils__/setup';

jest.setTimeout(60_000);

/** A service's plugin token for the compliance backend, as Backstage issues it (subject `ci`, `plugin:scaffolder`). */
const serviceHeader = (subject: string) =>
  mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId: 'compliance',
  });
const CI = serviceHeader('ci');
const SCAFFOLDER = serviceHeader('plugin:scaffolder');
/** A scanner granted what only the scaffolder should have: the rules in the service must still hold. */
const SCANNER = serviceHeader('scanner');

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
    method: 'post',
    path: '/gate-evaluations',
    body: {
      entityRef: 'component:default/churn-model',
      decision: 'passed',
      evaluation: {
        entityRef: 'component:default/churn-model',
        score: 100,
        level: 'gold',
        results: [],
      },
    },
    permission: 'forge.compliance.gate.record',
    ok: 201,
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
    let harness: Awaited<ReturnType<typeof createHarness>>;
    const auditor = mockServices.auditor.mock();

    /** A new project in the catalog, like an existing one under another name (as a blueprint run registers it). */
    const addProject = (name: string, like = 'churn-model') => {
      const model = harness.catalog.entities.find(
        e => e.kind === 'Component' && e.metadata.name === like,
      )!;
      harness.catalog.entities.push({
        ...model,
        metadata: { ...model.metadata, name, etag: `${name}-v1` },
      });
    };

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      const h = await createHarness(knex);
      harness = h;
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
      const guard = new ForgeGuard({
        httpAuth: mockServices.httpAuth({ pluginId: 'compliance' }),
        permissions,
        auditor,
        services: ServicePermissions.fromMap({
          ...DEFAULT_SERVICE_PERMISSIONS,
          ci: ['forge.compliance.facts.push'],
          scanner: ['forge.compliance.exemption.request'],
        }),
      });
      const router = await createRouter({
        guard,
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
        .set('Authorization', CI)
        .send({ name: 'Dependency Scan', collectedAt: 'yesterday', data: {} });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(
        /Invalid name: must be lower-case/,
      );
      const unknown = await request(app)
        .post('/facts/component/default/no-such-thing')
        .set('Authorization', CI)
        .send({
          name: 'ci',
          collectedAt: '2026-11-25T00:00:00Z',
          data: { status: 'passing' },
        });
      expect(unknown.status).toBe(404);
    });

    it.each([
      ['9999-12-31T23:59:59Z', 'must not be in the future'],
      ['+275760-09-13T00:00:00.000Z', 'must be an RFC 3339 timestamp'],
      ['1', 'must be an RFC 3339 timestamp'],
      [
        new Date(Date.now() + 3600_000).toISOString(),
        'must not be in the future',
      ],
    ])(
      'refuses a fact collected at %s, which would stay fresh for ever',
      async (collectedAt, message) => {
        const res = await request(app)
          .post('/facts/component/default/churn-model')
          .set('Authorization', CI)
          .send({ name: 'ci', collectedAt, data: { status: 'passing' } });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(
          `Invalid collectedAt: ${message}`,
        );
      },
    );

    it.each([
      ['/dry-run', 20_000],
      ['/dry-run', 100_000],
      ['/facts/component/default/churn-model', 20_000],
      ['/facts/component/default/churn-model', 100_000],
    ])(
      'answers 400 to a body of %s nested %i levels deep',
      async (path, depth) => {
        const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        const res = await request(app)
          .post(path)
          .set(
            'Authorization',
            path === '/dry-run' ? mockCredentials.user.header() : CI,
          )
          .set('content-type', 'application/json')
          .send(
            path === '/dry-run'
              ? `{"entity":{"apiVersion":"v1","kind":"Component","metadata":{"name":"x"},"spec":{"a":${nested}}}}`
              : `{"name":"ci","collectedAt":"2026-01-01T00:00:00Z","data":{"a":${nested}}}`,
          );
        expect(res.status).toBe(400);
        expect(res.body.error.message).toBe(
          'The request body nests JSON deeper than 32 levels; flatten it',
        );
      },
    );

    it('rejects bad dates, scopes and documents with the accepted format', async () => {
      const user = mockCredentials.user.header('user:default/daniel.moreau');
      const asOf = await request(app)
        .get('/scorecards/component/default/churn-model?asOf=last-week')
        .set('Authorization', user);
      expect(asOf.status).toBe(400);
      expect(asOf.body.error.message).toMatch(
        /asOf: must be a day \(2026-11-25\) or an RFC 3339 timestamp/,
      );
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

    it('lets only the scaffolder file gate approvals and record gate evidence, not CI nor another service', async () => {
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
      expect(asUser.body.error.message).toBe(
        "Approvals only the Forge blueprints may file (the scaffolder's own service), not user:default/mock",
      );
      const asCi = await request(app)
        .post('/exemptions')
        .set('Authorization', CI)
        .send(body);
      expect(asCi.status).toBe(403);
      const asScanner = await request(app)
        .post('/exemptions')
        .set('Authorization', SCANNER)
        .send(body);
      expect(asScanner.status).toBe(403);
      const asScaffolder = await request(app)
        .post('/exemptions')
        .set('Authorization', SCAFFOLDER)
        .send(body);
      expect(asScaffolder.status).toBe(201);

      const forged = {
        entityRef: 'component:default/x',
        decision: 'passed',
        evaluation: {
          entityRef: 'component:default/x',
          score: 100,
          level: 'gold',
          results: [],
        },
      };
      for (const auth of [CI, SCANNER]) {
        const evidence = await request(app)
          .post('/gate-evaluations')
          .set('Authorization', auth)
          .send(forged);
        expect(evidence.status).toBe(403);
      }
      const recorded = await request(app)
        .post('/gate-evaluations')
        .set('Authorization', SCAFFOLDER)
        .send(forged);
      expect(recorded.status).toBe(201);
    });

    it('gives the CI token facts and nothing else, although Backstage allows services everything', async () => {
      for (const route of ROUTES) {
        const res = await call(route, CI);
        expect([route.path, res.status]).toEqual([
          route.path,
          route.permission === 'forge.compliance.facts.push' ? route.ok : 403,
        ]);
      }
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
      // Only the scaffolder may say whom it files for, and only as a full user reference.
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
      const fromScanner = await request(app)
        .post('/exemptions')
        .set('Authorization', SCANNER)
        .send({
          ...body,
          kind: 'exemption',
          entityRef: 'component:default/churn-model',
          checkId: 'docs.techdocs',
          onBehalfOf: 'user:default/liam.chen',
        });
      expect(fromScanner.status).toBe(403);
      // Refused by the shared guard (audited as identity-field-refused) before the ExemptionService's own rule.
      expect(fromScanner.body.error.message).toMatch(
        /^Only the Forge blueprints \(the scaffolder's own service\) may file on behalf of someone else, not service:scanner/,
      );
      const malformed = await request(app)
        .post('/exemptions')
        .set('Authorization', SCAFFOLDER)
        .send({ ...body, onBehalfOf: 'daniel' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toMatch(
        /onBehalfOf: must be a full user reference/,
      );

      const filed = await request(app)
        .post('/exemptions')
        .set('Authorization', SCAFFOLDER)
        .send({ ...body, onBehalfOf: 'user:Default/Daniel.Moreau' });
      expect(filed.status).toBe(201);
      expect(filed.body.requestedBy).toBe('user:default/daniel.moreau');
      // Daniel holds the approve permission, but not for his own request, however his name is spelled.
      const own = await request(app)
        .post(`/exemptions/${filed.body.id}/decision`)
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/daniel.moreau'),
        )
        .send({ status: 'approved' });
      expect(own.status).toBe(403);
      expect(own.body.error.message).toMatch(/You requested this exemption/);
      // Nor may any service decide, whatever it was granted.
      const bySCAFFOLDER = await request(app)
        .post(`/exemptions/${filed.body.id}/decision`)
        .set('Authorization', SCAFFOLDER)
        .send({ status: 'approved' });
      expect(bySCAFFOLDER.status).toBe(403);
      const other = await request(app)
        .post(`/exemptions/${filed.body.id}/decision`)
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/grace.obrien'),
        )
        .send({ status: 'approved', note: 'ok' });
      expect(other.status).toBe(200);
    });

    it('refuses a justification longer than 4,000 characters and stores nothing', async () => {
      const route = ROUTES.find(
        r => r.path === '/exemptions' && r.method === 'post',
      )!;
      const res = await request(app)
        .post('/exemptions')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/liam.chen'),
        )
        .send({
          ...(route.body as object),
          justification: 'x'.repeat(20_000),
        });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'Invalid justification: must be at most 4,000 characters',
      );
      const stored = await request(app)
        .get('/exemptions')
        .set('Authorization', mockCredentials.user.header());
      expect(stored.body.items).toEqual([]);
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
          meta: expect.objectContaining({
            actor: 'user:default/mateo.garcia',
          }),
        }),
      );
      auditor.createEvent.mockClear();
      denied.add('forge.compliance.evidence.export');
      await request(app)
        .get('/history/verify')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/guest'),
        );
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'permission-denied',
          meta: {
            permission: 'forge.compliance.evidence.export',
            actor: 'user:default/guest',
          },
        }),
      );
    });

    it('lets the scaffolder push only the facts a blueprint produces at creation, and audits a refusal', async () => {
      auditor.createEvent.mockClear();
      // Any template can run forge:catalog:register: a "ci: passing" from the scaffolder is the template's word.
      const forged = await request(app)
        .post('/facts/component/default/churn-model')
        .set('Authorization', SCAFFOLDER)
        .send({
          name: 'ci',
          collectedAt: new Date().toISOString(),
          data: { status: 'passing' },
        });
      expect(forged.status).toBe(403);
      expect(forged.body.error.message).toBe(
        "The blueprints may leave only the evidence they produce when creating a project (secret-scan, sbom), not 'ci': that fact comes from the tool that produces it (CI pushes it with its own token)",
      );
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'fact-push',
          meta: expect.objectContaining({
            actor: 'service:plugin:scaffolder',
            fact: 'ci',
          }),
        }),
      );
      const event = await auditor.createEvent.mock.results[0].value;
      expect(event.fail).toHaveBeenCalled();
      const facts = await knex('compliance_facts').where({
        entity_ref: 'component:default/churn-model',
        name: 'ci',
      });
      expect(
        facts.every(f => f.received_from !== 'service:plugin:scaffolder'),
      ).toBe(true);

      // A creation fact, for a project the blueprint run just created (its passed gate record, with the task): the
      // entity did not exist when the gate passed.
      const recordPassed = (name: string) =>
        request(app)
          .post('/gate-evaluations')
          .set('Authorization', SCAFFOLDER)
          .send({
            entityRef: `component:default/${name}`,
            decision: 'passed',
            evaluation: {
              entityRef: `component:default/${name}`,
              score: 100,
              level: 'gold',
              results: [],
            },
            taskId: `task-${name}`,
          });
      expect((await recordPassed('churn-model-v2')).status).toBe(201);
      addProject('churn-model-v2');
      const scan = await request(app)
        .post('/facts/component/default/churn-model-v2')
        .set('Authorization', SCAFFOLDER)
        .send({
          name: 'secret-scan',
          collectedAt: new Date().toISOString(),
          data: { leaks: 0 },
        });
      expect(scan.status).toBe(201);
      // A blueprint run named like a project that already exists (churn-model) passes the gate: its record opens
      // nothing, so the run's clean scan cannot land on that project (issue 10).
      expect((await recordPassed('churn-model')).status).toBe(201);
      const whitewash = await request(app)
        .post('/facts/component/default/churn-model')
        .set('Authorization', SCAFFOLDER)
        .send({
          name: 'secret-scan',
          collectedAt: new Date().toISOString(),
          data: { leaks: 0 },
        });
      expect(whitewash.status).toBe(403);
      // CI pushes its own facts as before.
      const ci = await request(app)
        .post('/facts/component/default/churn-model')
        .set('Authorization', CI)
        .send({
          name: 'ci',
          collectedAt: new Date().toISOString(),
          data: { status: 'passing' },
        });
      expect(ci.status).toBe(201);
    });

    it('lets the scaffolder leave creation facts only within the hour after the gate let it create the project, and audits a refusal', async () => {
      const push = (name: string) =>
        request(app)
          .post(`/facts/component/default/${name}`)
          .set('Authorization', SCAFFOLDER)
          .send({
            name: 'secret-scan',
            collectedAt: new Date().toISOString(),
            data: { leaks: 0 },
          });
      const refusedAndAudited = async (name: string, message: string) => {
        auditor.createEvent.mockClear();
        const res = await push(name);
        expect([res.status, res.body.error?.message]).toEqual([403, message]);
        expect(auditor.createEvent).toHaveBeenCalledWith(
          expect.objectContaining({
            eventId: 'fact-push',
            meta: expect.objectContaining({
              actor: 'service:plugin:scaffolder',
              entityRef: `component:default/${name}`,
              fact: 'secret-scan',
            }),
          }),
        );
        const event = await auditor.createEvent.mock.results[0].value;
        expect(event.fail).toHaveBeenCalled();
        expect(event.success).not.toHaveBeenCalled();
      };
      const createdBy = (name: string, at: Date) =>
        harness.store.recordGateEvaluation(
          {
            entityRef: `component:default/${name}`,
            decision: 'passed',
            evaluation: {
              entityRef: `component:default/${name}`,
              score: 100,
              level: 'gold',
              results: [],
            } as any,
            taskId: `task-${name}`,
          },
          'service:plugin:scaffolder',
          at.toISOString(),
        );
      const deleteScoreHistory = (name: string) =>
        knex('compliance_summary_history')
          .where({ entity_ref: `component:default/${name}` })
          .delete();

      // Compliance first saw fraud-scoring-service minutes ago, but no blueprint run created it.
      await deleteScoreHistory('fraud-scoring-service');
      await refusedAndAudited(
        'fraud-scoring-service',
        'The blueprints may leave evidence only for a project they just created, and no blueprint run created component:default/fraud-scoring-service (the history holds no passed gate evaluation of a scaffolder task for it): its evidence comes from CI, with its own token',
      );

      // retention-dbt was created by a blueprint run two hours ago: deleting its score history opens nothing.
      const created = new Date(Date.now() - 2 * 3600 * 1000);
      await createdBy('retention-dbt', created);
      expect(await deleteScoreHistory('retention-dbt')).toBeGreaterThan(0);
      await refusedAndAudited(
        'retention-dbt',
        `The blueprints may leave evidence only within an hour of creating a project; component:default/retention-dbt was created by a blueprint run at ${created.toISOString()}: its evidence now comes from CI, with its own token`,
      );
      expect(
        await knex('compliance_facts').where({
          entity_ref: 'component:default/retention-dbt',
          name: 'secret-scan',
          received_from: 'service:plugin:scaffolder',
        }),
      ).toEqual([]);

      // A fresh one, for a project that did not exist when the gate passed, is accepted.
      await createdBy('fraud-scoring-v2', new Date());
      addProject('fraud-scoring-v2', 'fraud-scoring-service');
      expect((await push('fraud-scoring-v2')).status).toBe(201);
    });

    describe('gate approvals record what they approve', () => {
      const subject = {
        templateRef: 'template:default/ml-training-pipeline',
        ownerRef: 'group:default/Retention-Analytics',
        classification: 'restricted',
        restrictedSources: [
          'resource:default/policy-events-stream',
          'resource:default/claims-warehouse',
        ],
        cost: { monthlyTotal: 3000, approvalThreshold: 1500, currency: 'EUR' },
      };
      const body = (extra: Record<string, unknown> = {}) => ({
        kind: 'approval',
        entityRef: 'component:default/x',
        checkId: 'approval.cost-threshold',
        justification: 'Churn model retraining for the renewal campaign.',
        compensatingControl: 'Default-deny egress; namespace access limited.',
        expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
        onBehalfOf: 'user:default/liam.chen',
        subject,
        ...extra,
      });

      it('stores the subject normalised, sealed in the history with the request', async () => {
        const filed = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(body());
        expect(filed.status).toBe(201);
        expect(filed.body.subject).toEqual({
          ...subject,
          ownerRef: 'group:default/retention-analytics',
          restrictedSources: [
            'resource:default/claims-warehouse',
            'resource:default/policy-events-stream',
          ],
        });
        const listed = await request(app)
          .get('/exemptions?entityRef=component:default/x')
          .set('Authorization', mockCredentials.user.header());
        expect(listed.body.items[0].subject).toEqual(filed.body.subject);
        const ledger = await knex('compliance_ledger')
          .where({ kind: 'exemption', record_id: filed.body.id })
          .first();
        expect(JSON.parse(ledger.body).subject).toContain(
          '"monthlyTotal":3000',
        );

        const verified = await request(app)
          .get('/history/verify')
          .set('Authorization', mockCredentials.user.header());
        expect(verified.body.ok).toBe(true);
        // Raising the approved figure in the table is caught: the subject is inside the chained body.
        await knex('compliance_exemptions')
          .where({ id: filed.body.id })
          .update({
            subject: JSON.stringify({
              ...filed.body.subject,
              cost: { ...subject.cost, monthlyTotal: 14900 },
            }),
          });
        const tampered = await request(app)
          .get('/history/verify')
          .set('Authorization', mockCredentials.user.header());
        expect(tampered.body.ok).toBe(false);
        expect(tampered.body.firstBrokenLink).toEqual(
          expect.objectContaining({
            record: `exemption ${filed.body.id}`,
            reason: expect.stringContaining('subject is'),
          }),
        );
      });

      it('takes another request for a different requester or request, and refuses the same one twice', async () => {
        const first = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(body());
        expect(first.status).toBe(201);
        const again = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(body());
        expect(again.status).toBe(409);
        const dearer = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(
            body({
              subject: {
                ...subject,
                cost: { ...subject.cost, monthlyTotal: 14900 },
              },
            }),
          );
        expect(dearer.status).toBe(201);
        const someoneElse = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(body({ onBehalfOf: 'user:default/mateo.garcia' }));
        expect(someoneElse.status).toBe(201);
      });

      it('refuses a subject on an exemption and a malformed subject', async () => {
        const onExemption = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(
            body({
              kind: 'exemption',
              entityRef: 'component:default/churn-model',
              checkId: 'docs.techdocs',
            }),
          );
        expect(onExemption.status).toBe(400);
        expect(onExemption.body.error.message).toMatch(
          /^subject is for gate approvals only/,
        );
        const malformed = await request(app)
          .post('/exemptions')
          .set('Authorization', SCAFFOLDER)
          .send(body({ subject: { ...subject, cost: { monthlyTotal: -1 } } }));
        expect(malformed.status).toBe(400);
        expect(malformed.body.error.message).toMatch(/^Invalid subject\.cost/);
      });
    });
  },
);
