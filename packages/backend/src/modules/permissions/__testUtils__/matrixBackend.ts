import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import {
  AuditorService,
  BackendFeature,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { createBackend } from '@backstage/backend-defaults';
import { JsonObject } from '@backstage/types';
import outcomesPlugin from '@internal/plugin-outcomes-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import permissionPlugin from '@backstage/plugin-permission-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import compliancePlugin from '@internal/plugin-compliance-backend';
import costInsightsPlugin from '@internal/plugin-cost-insights-backend';
import scaffolderModuleForge from '@internal/plugin-scaffolder-backend-module-forge';
import { forgePermissionPolicyModule } from '../module';
import {
  MatrixCaller,
  MatrixEntry,
  SERVICE_SUBJECTS,
} from '../permissionMatrix';
import { forgeRootHttpRouterServiceFactory } from '../../errors/safeErrorBodies';
import { pluginTokenAuthServiceFactory } from './pluginTokenAuth';

/**
 * The backend the permission matrix and the input sweep run against: catalog with the demo organisation, the
 * permission backend with the Forge policy, compliance, cost, outcomes and the blueprints, with the test's mock
 * tokens and an auditor that keeps every event (`audited`); and the concrete request each entry point is tried with.
 */

export const ROOT = path.resolve(__dirname, '../../../../../..');
export const appConfig = parseYaml(
  fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'),
);

/** Direct group membership of each demo user, as the catalog sign-in resolver puts it in their token. */
function demoMemberships(): Map<string, string[]> {
  const docs = fs
    .readFileSync(path.join(ROOT, 'catalog/org/users.yaml'), 'utf8')
    .split(/^---$/m)
    .map(d => parseYaml(d))
    .filter(Boolean);
  return new Map(
    docs.map(d => [
      `user:default/${d.metadata.name}`,
      (d.spec.memberOf as string[]).map(g => `group:default/${g}`),
    ]),
  );
}
const memberships = demoMemberships();

/** The catalog of the embedded default: the demo organisation, systems, resources and projects. */
export const demoCatalogConfig = {
  // As app-config.yaml: groups and users only from the organisation's location (catalogRules.test.ts).
  rules: [
    { allow: ['Component', 'System', 'API', 'Resource', 'Location', 'Domain'] },
  ],
  locations: [
    {
      type: 'file',
      target: path.join(ROOT, 'catalog/all.yaml'),
      rules: [{ allow: ['Group', 'User'] }],
    },
  ],
};
/** A blueprint of one logging step, whose runs the matrix's blueprint-run rows try (`blueprintRunStarted`). */
export const BLUEPRINT_RUN_TEMPLATE = path.join(
  __dirname,
  'blueprint-run-template.yaml',
);
export const BLUEPRINT_RUN_TEMPLATE_REF =
  'template:default/matrix-blueprint-run';

/** The user info service as the catalog sign-in resolver fills it: each demo user and their direct groups. */
export const signInLikeUserInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(memberships.get(ref) ?? [])],
      };
    },
  }),
});

type Recorded = {
  plugin: string;
  eventId: string;
  status: string;
  meta?: Record<string, unknown>;
};
export const audited: Recorded[] = [];
/** Backstage's auditor would log these; the test keeps them to check that refusals are audited. */
const recordingAuditor = createServiceFactory({
  service: coreServices.auditor,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }): AuditorService => ({
    async createEvent(options) {
      const log = async (status: string, meta?: object) => {
        audited.push({
          plugin: plugin.getId(),
          eventId: options.eventId,
          status,
          meta: { ...options.meta, ...meta },
        });
      };
      await log('initiated');
      return {
        success: async params => log('succeeded', params?.meta),
        fail: async params => log('failed', params.meta),
      };
    },
  }),
});

export const USERS: Partial<Record<MatrixCaller, string>> = {
  guest: 'user:default/guest',
  member: 'user:default/mateo.garcia',
  manager: 'user:default/priya.raman',
  compliance: 'user:default/daniel.moreau',
  security: 'user:default/fatima.haddad',
  admin: 'user:default/noah.kim',
};

export function pluginOf(entry: MatrixEntry): string {
  if (entry.id.startsWith('action ')) return entry.id.slice(7).split(':')[0];
  return entry.id.split(' ')[1].split('/')[2];
}

export const days = (n: number) =>
  new Date(Date.now() + n * 86_400_000).toISOString();
export const exemption = {
  entityRef: 'component:default/churn-model',
  checkId: 'docs.techdocs',
  justification: 'Docs move to TechDocs with the next release of the model.',
  compensatingControl: 'The README covers operation until then.',
  expiresAt: days(10),
};
export const gateEvaluation = {
  entityRef: 'component:default/brand-new-project',
  decision: 'passed',
  evaluation: {
    entityRef: 'component:default/brand-new-project',
    score: 100,
    level: 'gold',
    results: [],
  },
};

/**
 * The concrete request each entry point is tried with, and the statuses that mean "let through" (the answer of
 * the work itself: created, already pending, no such exemption...). Refused is 403, without a token 401.
 */
export const REQUESTS: Record<
  string,
  {
    method?: string;
    path?: string;
    body?: unknown;
    type?: string;
    ok: number[];
  }
> = {
  'GET /api/compliance/openapi.json': { ok: [200] },
  'GET /api/compliance/policy-packs': { ok: [200] },
  'POST /api/compliance/policy-packs/reload': { ok: [200] },
  'GET /api/compliance/scorecards/:kind/:namespace/:name': {
    path: '/api/compliance/scorecards/component/default/churn-model',
    ok: [200, 404],
  },
  'GET /api/compliance/scorecards/:kind/:namespace/:name/history': {
    path: '/api/compliance/scorecards/component/default/churn-model/history',
    ok: [200],
  },
  'GET /api/compliance/scorecards/:kind/:namespace/:name/gate-evaluations': {
    path: '/api/compliance/scorecards/component/default/churn-model/gate-evaluations',
    ok: [200],
  },
  'POST /api/compliance/scorecards/:kind/:namespace/:name/evaluate': {
    path: '/api/compliance/scorecards/component/default/churn-model/evaluate',
    ok: [200],
  },
  'POST /api/compliance/dry-run': {
    body: {
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'x' },
      },
    },
    ok: [200],
  },
  'POST /api/compliance/facts/:kind/:namespace/:name': {
    path: '/api/compliance/facts/component/default/churn-model',
    // A fact both callers may push: the scaffolder leaves only what a blueprint produces (secret-scan, sbom).
    body: {
      name: 'secret-scan',
      collectedAt: new Date().toISOString(),
      data: { leaks: 0 },
    },
    ok: [201],
  },
  'GET /api/compliance/exemptions': { ok: [200] },
  'POST /api/compliance/exemptions (exemption of an entity)': {
    body: exemption,
    ok: [201, 409],
  },
  'POST /api/compliance/exemptions (gate approval on behalf of a person)': {
    body: {
      ...exemption,
      kind: 'approval',
      entityRef: 'component:default/brand-new-project',
      checkId: 'approval.restricted-data',
      onBehalfOf: 'user:default/mateo.garcia',
    },
    ok: [201, 409],
  },
  'POST /api/compliance/exemptions/:id/decision': {
    path: '/api/compliance/exemptions/00000000-0000-4000-8000-000000000000/decision',
    body: { status: 'approved' },
    ok: [404],
  },
  'POST /api/compliance/exemptions/:id/revoke': {
    path: '/api/compliance/exemptions/00000000-0000-4000-8000-000000000000/revoke',
    body: {},
    ok: [404],
  },
  'POST /api/compliance/gate-evaluations': { body: gateEvaluation, ok: [201] },
  'GET /api/compliance/dashboard': { ok: [200] },
  'GET /api/compliance/groups/:namespace/:name/failing-checks': {
    path: '/api/compliance/groups/default/data-science/failing-checks',
    ok: [200],
  },
  'GET /api/compliance/evidence': {
    path: '/api/compliance/evidence?scope=entity:component:default/churn-model&format=csv',
    ok: [200],
  },
  'GET /api/compliance/history/verify': { ok: [200] },
  'GET /api/compliance/history/public-key': { ok: [200] },
  'GET /api/compliance/approval-check-ids': { ok: [200] },
  'action compliance:get-entity-scorecard': {
    body: { entityRef: 'component:default/churn-model' },
    ok: [200, 404],
  },
  'action compliance:list-failing-checks-for-group': {
    body: { groupRef: 'group:default/data-science' },
    ok: [200],
  },
  'action compliance:request-compliance-exemption': {
    body: exemption,
    ok: [200, 409],
  },
  'PUT /api/cost-insights/budgets/:entityRef': {
    path: '/api/cost-insights/budgets/group:default%2Fretention-analytics',
    body: { monthlyAmount: 5000 },
    ok: [200],
  },
  'DELETE /api/cost-insights/budgets/:entityRef': {
    path: '/api/cost-insights/budgets/group:default%2Fretention-analytics',
    ok: [204, 404],
  },
  'POST /api/cost-insights/ingestions': {
    path: '/api/cost-insights/ingestions?name=upload.csv',
    body: 'not,a,focus,file\n1,2,3,4\n',
    type: 'text/csv',
    ok: [400],
  },
  'action cost-insights:get-group-cost-forecast': {
    body: { group: 'group:default/retention-analytics' },
    ok: [200],
  },
  'action cost-insights:get-entity-top-cost-drivers': {
    body: { entityRef: 'component:default/churn-model', days: 7 },
    ok: [200],
  },
  'POST /api/scaffolder/forge/preview': {
    body: { templateRef: 'template:default/no-such-blueprint', values: {} },
    ok: [404],
  },
  'GET /api/scaffolder/forge/owners': { ok: [200] },
  'GET /api/compliance/evidence/timing': {
    path: '/api/compliance/evidence/timing?framework=SOC2',
    ok: [200],
  },
  'GET /api/outcomes/openapi.json': { ok: [200] },
  'GET /api/outcomes/report': { ok: [200] },
  'GET /api/outcomes/surveys/pending': { ok: [200] },
  // Nobody in the demo created churn-model with a blueprint: the survey's own rule answers 403, not the guard.
  'POST /api/outcomes/surveys': {
    body: { entityRef: 'component:default/churn-model', score: 9 },
    ok: [403],
  },
  'action outcomes:get-platform-outcomes': { body: {}, ok: [200] },
};

/** A cost read answers whatever the demo data gives (the guard runs first in every one of them). */
export const COST_READ_OK = [200, 400, 404];

export function requestFor(entry: MatrixEntry) {
  const spec = REQUESTS[entry.id];
  if (entry.id.startsWith('action ')) {
    const [plugin, name] = entry.id.slice(7).split(':');
    return {
      method: 'POST',
      path: `/api/${plugin}/.backstage/actions/v1/actions/${plugin}:${name}/invoke`,
      body: spec.body,
      type: undefined as string | undefined,
      ok: spec.ok,
    };
  }
  const [method, pattern] = entry.id.replace(/ \(.*\)$/, '').split(' ');
  const concrete = pattern
    .replace(':entityRef', 'component:default%2Fchurn-model')
    .replace(':group', 'retention-analytics')
    .replace(':project', 'churn-model')
    .replace(':metric', 'cost')
    .replace(':id', 'no-such-ingestion');
  return {
    method,
    path:
      spec?.path ??
      (pattern.startsWith('/api/cost-insights/')
        ? withQuery(concrete)
        : concrete),
    body: spec?.body,
    type: spec?.type,
    ok: spec?.ok ?? COST_READ_OK,
  };
}

function withQuery(p: string): string {
  if (p.endsWith('/user-groups')) return `${p}?userId=guest`;
  if (p.endsWith('/cost')) return `${p}?by=service`;
  if (p.endsWith('/product-insights'))
    return `${p}?product=compute&group=retention-analytics&intervals=R2/P30D/2026-12-01`;
  return p;
}

export function send(server: any, entry: MatrixEntry, authorization?: string) {
  const r = requestFor(entry);
  let call = (request(server) as any)[r.method.toLowerCase()](r.path);
  if (authorization) call = call.set('Authorization', authorization);
  if (r.type) call = call.set('content-type', r.type);
  return r.body === undefined ? call : call.send(r.body);
}

export function headerFor(
  caller: MatrixCaller | 'no token',
  plugin: string,
): string | undefined {
  if (caller === 'no token') return undefined;
  const subject = SERVICE_SUBJECTS[caller];
  if (subject) {
    return mockCredentials.service.header({
      onBehalfOf: mockCredentials.service(subject),
      targetPluginId: plugin,
    });
  }
  return mockCredentials.user.header(USERS[caller]!);
}

/**
 * Starts the backend. With `listenPort`, on Forge's own root HTTP router (`forgeRootHttpRouterServiceFactory`, as
 * packages/backend/src/index.ts adds it: the real error answers) listening on that port, instead of the test's.
 */
export async function startMatrixBackend(options: {
  database: JsonObject;
  dataDir: string;
  features?: BackendFeature[];
  listenPort?: number;
}): Promise<{ server: any; stop: () => Promise<void> }> {
  const port = options.listenPort;
  const features = [
    pluginTokenAuthServiceFactory,
    httpAuthServiceFactory,
    catalogPlugin,
    // Templates in the catalog, as index.ts adds it: the matrix's blueprint runs start from one.
    catalogModuleScaffolderEntityModel,
    permissionPlugin,
    forgePermissionPolicyModule,
    permissionsServiceFactory,
    ...(options.features ?? []),
    signInLikeUserInfo,
    recordingAuditor,
    compliancePlugin,
    costInsightsPlugin,
    outcomesPlugin,
    scaffolderPlugin,
    scaffolderModuleForge,
    mockServices.rootConfig.factory({
      data: {
        backend: {
          database: options.database,
          ...(port
            ? {
                baseUrl: `http://localhost:${port}`,
                listen: { port, host: '127.0.0.1' },
              }
            : {}),
        },
        permission: { enabled: true },
        catalog: {
          ...demoCatalogConfig,
          locations: [
            ...demoCatalogConfig.locations,
            {
              type: 'file',
              target: BLUEPRINT_RUN_TEMPLATE,
              rules: [{ allow: ['Template'] }],
            },
          ],
        },
        forge: {
          dataDir: options.dataDir,
          // The embedded default's roles and service grants, as configured.
          permissions: appConfig.forge.permissions,
          compliance: { policyDirectory: path.join(ROOT, 'policies') },
          cost: { demoData: { enabled: true, days: 90, seed: 3 } },
          blueprints: appConfig.forge.blueprints,
        },
        scaffolder: {
          defaultAuthor: { name: 'Forge', email: 'forge@test' },
        },
      },
    }),
  ];
  if (port) {
    // Backstage's own backend, as index.ts creates it, with Forge's root router; the test's mock tokens and auditor.
    const backend = createBackend();
    for (const feature of [
      ...features,
      forgeRootHttpRouterServiceFactory,
      mockServices.rootLogger.factory(),
    ]) {
      backend.add(feature);
    }
    await backend.start();
    return {
      server: `http://127.0.0.1:${port}`,
      stop: () => backend.stop(),
    };
  }
  const backend = await startTestBackend({ features });
  return { server: backend.server, stop: () => backend.stop() };
}

/**
 * Records the passed gate of a blueprint run that created `entityRef`, as the scaffolder does: the scaffolder may
 * leave creation evidence (secret-scan, sbom) only within an hour of such a record, so the facts cell finds the
 * project it tries just created.
 */
export async function blueprintCreated(server: any, entityRef: string) {
  const res = await request(server)
    .post('/api/compliance/gate-evaluations')
    .set('Authorization', headerFor('scaffolder', 'compliance')!)
    .send({
      ...gateEvaluation,
      entityRef,
      evaluation: { ...gateEvaluation.evaluation, entityRef },
      taskId: 'matrix-blueprint-run',
      templateRef: 'template:default/dbt-analytics',
    });
  if (res.status !== 201) {
    throw new Error(
      `recording the blueprint run failed: ${res.status} ${res.text}`,
    );
  }
}

/** Waits until the demo organisation is in the catalog (read as a service, no permission involved). */
export async function demoCatalogLoaded(server: any) {
  for (let i = 0; i < 480; i++) {
    const res = await request(server)
      .get('/api/catalog/entities/by-name/component/default/churn-model')
      .set('Authorization', mockCredentials.service.header());
    if (res.status === 200) return;
    await new Promise(r => setTimeout(r, 250));
  }
}

/** Starts a run of the matrix blueprint as `user`, waits until it completed and answers its id. */
export async function blueprintRunStarted(server: any, user: string) {
  const header = mockCredentials.user.header(user);
  let created: request.Response | undefined;
  // The template is in the catalog a moment after the organisation.
  for (let i = 0; i < 240; i++) {
    created = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', header)
      .send({
        templateRef: BLUEPRINT_RUN_TEMPLATE_REF,
        values: { note: `run of ${user}` },
      });
    if (created.status === 201) break;
    await new Promise(r => setTimeout(r, 250));
  }
  if (created?.status !== 201) {
    throw new Error(
      `starting a blueprint run failed: ${created?.status} ${created?.text}`,
    );
  }
  const id = created.body.id as string;
  for (let i = 0; i < 240; i++) {
    const task = await request(server)
      .get(`/api/scaffolder/v2/tasks/${id}`)
      .set('Authorization', header);
    if (task.body?.status === 'completed') return id;
    if (['failed', 'cancelled'].includes(task.body?.status)) {
      throw new Error(`the blueprint run ${id} ${task.body.status}`);
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`the blueprint run ${id} did not complete`);
}
