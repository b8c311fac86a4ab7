import express from 'express';
import request from 'supertest';
import {
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  TestDatabases,
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ForgeGuard, ServicePermissions } from '@internal/plugin-forge-node';
import { InMemorySources } from './__testUtils__/InMemorySources';
import { DatabaseOutcomesStore } from './database/DatabaseOutcomesStore';
import { createRouter, OutcomesAccess } from './router';
import { OutcomesService } from './service/OutcomesService';
import { SurveyService } from './service/SurveyService';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const ANN = 'user:default/ann'; // member of alpha
const LEAD = 'user:default/lead'; // holds forge.outcomes.org.read

/** The Forge policy's decisions for these permissions: org-wide figures for the lead only, the rest for all. */
const permissions: PermissionsService = {
  async authorize(requests, options) {
    const user = (options.credentials.principal as { userEntityRef?: string })
      .userEntityRef;
    return requests.map(r => ({
      result:
        'permission' in r &&
        r.permission.name === 'forge.outcomes.org.read' &&
        user !== LEAD
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    }));
  },
  async authorizeConditional() {
    throw new Error('not used');
  },
};

const userInfo: UserInfoService = {
  async getUserInfo(credentials) {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return {
      userEntityRef: ref,
      ownershipEntityRefs: ref === ANN ? [ref, 'group:default/alpha'] : [ref],
    };
  },
};

async function createApp() {
  const store = await DatabaseOutcomesStore.forKnex(
    await databases.init('SQLITE_3'),
  );
  const sources = new InMemorySources();
  const service = new OutcomesService({ store, sources });
  const guard = new ForgeGuard({
    httpAuth: mockServices.httpAuth({ pluginId: 'outcomes' }),
    permissions,
    auditor: mockServices.auditor.mock(),
    services: ServicePermissions.fromMap({}),
  });
  const router = await createRouter({
    guard,
    access: new OutcomesAccess({ guard, permissions, userInfo, service }),
    service,
    surveys: new SurveyService({ store }),
    openApiPath: require.resolve('../openapi.yaml'),
  });
  await store.upsertRuns([
    {
      taskId: 't1',
      blueprint: 'template:default/dbt-analytics',
      ownerRef: 'group:default/alpha',
      createdBy: ANN,
      entityRef: 'component:default/churn-dbt',
      status: 'completed',
      submittedAt: new Date(Date.now() - 3600_000).toISOString(),
      completedAt: new Date().toISOString(),
    },
  ]);
  return { app: express().use(router).use(mockErrorHandler()), store };
}

const as = (user: string) => mockCredentials.user.header(user);

describe('outcomes router', () => {
  it('refuses callers without credentials', async () => {
    const { app } = await createApp();
    const res = await request(app)
      .get('/report')
      .set('authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });

  it('shows a member their team by default and refuses them the organisation', async () => {
    const { app } = await createApp();
    const mine = await request(app)
      .get('/report')
      .set('authorization', as(ANN));
    expect(mine.status).toBe(200);
    expect(mine.body.scope).toBe('group:default/alpha');
    expect(mine.body.scopes.map((s: { scope: string }) => s.scope)).toEqual([
      'group:default/alpha',
    ]);
    expect(
      mine.body.figures.find((f: { id: string }) => f.id === 'time-to-project')
        .definition,
    ).toMatch(/From submitting/);

    const org = await request(app)
      .get('/report?scope=org')
      .set('authorization', as(ANN));
    expect(org.status).toBe(403);
    expect(org.body.error.message).toMatch(/forge.outcomes.org.read/);
    expect(
      (
        await request(app)
          .get('/report?scope=group:default/gamma')
          .set('authorization', as(ANN))
      ).status,
    ).toBe(403);
  });

  it('shows the platform lead the organisation and every team', async () => {
    const { app } = await createApp();
    const res = await request(app)
      .get('/report')
      .set('authorization', as(LEAD));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('org');
    expect(res.body.scopes).toHaveLength(6);
  });

  it('says what is wrong with a scope', async () => {
    const { app } = await createApp();
    const res = await request(app)
      .get('/report?scope=alpha')
      .set('authorization', as(LEAD));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/must be 'org' or a group ref/);
  });

  it('asks the creator of a project once, and only them', async () => {
    const { app, store } = await createApp();
    const pending = await request(app)
      .get('/surveys/pending')
      .set('authorization', as(ANN));
    expect(
      pending.body.items.map((p: { entityRef: string }) => p.entityRef),
    ).toEqual(['component:default/churn-dbt']);

    const bad = await request(app)
      .post('/surveys')
      .set('authorization', as(ANN))
      .send({ entityRef: 'component:default/churn-dbt', score: 11 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'Invalid body.score: must be from 0 to 10',
    );

    const other = await request(app)
      .post('/surveys')
      .set('authorization', as(LEAD))
      .send({ entityRef: 'component:default/churn-dbt', score: 2 });
    expect(other.status).toBe(403);

    const answer = await request(app)
      .post('/surveys')
      .set('authorization', as(ANN))
      .send({
        entityRef: 'component:default/churn-dbt',
        score: 9,
        comment: 'Quick',
      });
    expect(answer.status).toBe(201);
    const again = await request(app)
      .post('/surveys')
      .set('authorization', as(ANN))
      .send({ entityRef: 'component:default/churn-dbt', score: 3 });
    expect(again.status).toBe(409);
    expect(
      (await request(app).get('/surveys/pending').set('authorization', as(ANN)))
        .body.items,
    ).toEqual([]);
    expect(
      (await store.listSurveyResponses()).map(r => [r.respondent, r.score]),
    ).toEqual([[ANN, 9]]);
  });

  it('serves its OpenAPI document', async () => {
    const { app } = await createApp();
    const res = await request(app).get('/openapi.json');
    expect(res.body.paths['/report'].get.summary).toMatch(/outcomes/);
  });
});
