import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import {
  AuditorService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { DEFAULT_SERVICE_PERMISSIONS } from '@internal/plugin-forge-node';
import outcomesPlugin from '@internal/plugin-outcomes-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import compliancePlugin from '@internal/plugin-compliance-backend';
import costInsightsPlugin from '@internal/plugin-cost-insights-backend';
import scaffolderModuleForge from '@internal/plugin-scaffolder-backend-module-forge';
import { forgePermissionPolicyModule } from './module';
import {
  allows,
  CALLERS,
  GrantedService,
  grantsOf,
  MatrixCaller,
  MatrixEntry,
  PERMISSION_MATRIX,
  renderPermissionMatrix,
  SERVICE_SUBJECTS,
} from './permissionMatrix';
import { backendTestDatabases } from '../../testing/databases';
import { pluginTokenAuthServiceFactory } from './__testUtils__/pluginTokenAuth';
import {
  recordingEntryPointFactories,
  RegisteredEntryPoints,
} from './__testUtils__/recordingEntryPoints';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../../../../..');
const appConfig = parseYaml(
  fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'),
);
const productionConfig = parseYaml(
  fs.readFileSync(path.join(ROOT, 'app-config.production.yaml'), 'utf8'),
);

// --- Completeness: every entry point in the source is in the matrix -----------------------------------------

/** The Forge plugins of issue 10, where their routers are mounted. */
const PLUGINS = [
  {
    dir: 'plugins/compliance-backend/src',
    mount: '/api/compliance',
    id: 'compliance',
  },
  {
    dir: 'plugins/cost-insights-backend/src',
    mount: '/api/cost-insights',
    id: 'cost-insights',
  },
  {
    dir: 'plugins/scaffolder-backend-module-forge/src',
    mount: '/api/scaffolder',
    id: 'scaffolder',
  },
  {
    dir: 'plugins/outcomes-backend/src',
    mount: '/api/outcomes',
    id: 'outcomes',
  },
];

/** The plugins whose every entry point is Forge's (of the scaffolder, only the Forge module's /forge routes). */
const FORGE_PLUGIN_IDS = ['compliance', 'cost-insights', 'outcomes'];
const isForgeEntryPoint = (id: string) =>
  // Backstage's own: the actions registry's and the permission integration's routes.
  !/\/\.(backstage|well-known\/backstage)\//.test(id) &&
  (FORGE_PLUGIN_IDS.some(
    p => id.startsWith(`action ${p}:`) || id.includes(` /api/${p}/`),
  ) ||
    id.includes(' /api/scaffolder/forge/'));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const full = path.join(dir, e.name);
    if (e.isDirectory())
      return e.name === '__testUtils__' ? [] : sourceFiles(full);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [full] : [];
  });
}

/** Every `router.<method>('<path>'` and `actionsRegistry.register({ name: '<name>'` of the Forge plugins. */
function entryPointsInSource(): string[] {
  const found: string[] = [];
  for (const plugin of PLUGINS) {
    for (const file of sourceFiles(path.join(ROOT, plugin.dir))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /router\.(get|post|put|delete|patch)\(\s*'([^']+)'/g,
      )) {
        found.push(`${m[1].toUpperCase()} ${plugin.mount}${m[2]}`);
      }
      for (const m of text.matchAll(
        /actionsRegistry\.register\(\{\s*name:\s*'([^']+)'/g,
      )) {
        found.push(`action ${plugin.id}:${m[1]}`);
      }
    }
  }
  return found;
}

const entryPoint = (entry: MatrixEntry) => entry.id.replace(/ \(.*\)$/, '');

describe('the permission matrix', () => {
  it('covers every route and every action of the Forge plugins', () => {
    const documented = new Set(PERMISSION_MATRIX.map(entryPoint));
    const missing = entryPointsInSource().filter(e => !documented.has(e));
    expect(missing).toEqual([]);
    const inSource = new Set(entryPointsInSource());
    expect([...documented].filter(e => !inSource.has(e))).toEqual([]);
  });

  it('grants each service exactly what its matrix rows need, in the embedded default and in production', () => {
    // app-config.production.yaml is read over app-config.yaml: its services (if any) replace the embedded ones.
    const configured = (doc: any) => doc?.forge?.permissions?.services ?? {};
    const embedded = {
      ...DEFAULT_SERVICE_PERMISSIONS,
      ...configured(appConfig),
    };
    const production = { ...embedded, ...configured(productionConfig) };
    for (const [name, grants] of [
      ['app-config.yaml', embedded],
      ['app-config.yaml + app-config.production.yaml', production],
    ] as const) {
      const granted = Object.fromEntries(
        Object.entries(grants).map(([subject, permissions]) => [
          subject,
          [...new Set(permissions as string[])].sort(),
        ]),
      );
      const needed = Object.fromEntries(
        Object.keys(granted).map(subject => [
          subject,
          grantsOf(subject as GrantedService),
        ]),
      );
      expect([name, granted]).toEqual([name, needed]);
    }
  });

  it('restricts the CI token in Backstage too, to pushing facts to compliance', () => {
    for (const doc of [appConfig, productionConfig]) {
      const ci = doc.backend.auth.externalAccess.filter(
        (e: any) => e.options.subject === 'ci',
      );
      expect(ci.map((e: any) => e.accessRestrictions)).toEqual([
        [{ plugin: 'compliance', permission: 'forge.compliance.facts.push' }],
      ]);
    }
  });

  it('is what docs/permissions.md shows (FORGE_WRITE_DOCS=1 rewrites the table)', () => {
    const file = path.join(ROOT, 'docs/permissions.md');
    const doc = fs.readFileSync(file, 'utf8');
    const start =
      '<!-- permission-matrix:start (generated from packages/backend/src/modules/permissions/permissionMatrix.ts) -->';
    const end = '<!-- permission-matrix:end -->';
    const expected = `${start}\n${renderPermissionMatrix()}\n${end}`;
    const actual = doc.slice(doc.indexOf(start), doc.indexOf(end) + end.length);
    if (process.env.FORGE_WRITE_DOCS === '1' && doc.includes(start)) {
      fs.writeFileSync(file, doc.replace(actual, expected));
      return;
    }
    expect(actual).toBe(expected);
  });
});

// --- The matrix against a real backend ----------------------------------------------------------------------

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
const signInLikeUserInfo = createServiceFactory({
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
const audited: Recorded[] = [];
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

const USERS: Partial<Record<MatrixCaller, string>> = {
  guest: 'user:default/guest',
  member: 'user:default/mateo.garcia',
  manager: 'user:default/priya.raman',
  compliance: 'user:default/daniel.moreau',
  security: 'user:default/fatima.haddad',
  admin: 'user:default/noah.kim',
};

function pluginOf(entry: MatrixEntry): string {
  if (entry.id.startsWith('action ')) return entry.id.slice(7).split(':')[0];
  return entry.id.split(' ')[1].split('/')[2];
}

const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
const exemption = {
  entityRef: 'component:default/churn-model',
  checkId: 'docs.techdocs',
  justification: 'Docs move to TechDocs with the next release of the model.',
  compensatingControl: 'The README covers operation until then.',
  expiresAt: days(10),
};
const gateEvaluation = {
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
const REQUESTS: Record<
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
    body: {
      name: 'ci',
      collectedAt: new Date().toISOString(),
      data: { status: 'passing' },
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
const COST_READ_OK = [200, 400, 404];

function requestFor(entry: MatrixEntry) {
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

function send(server: any, entry: MatrixEntry, authorization?: string) {
  const r = requestFor(entry);
  let call = (request(server) as any)[r.method.toLowerCase()](r.path);
  if (authorization) call = call.set('Authorization', authorization);
  if (r.type) call = call.set('content-type', r.type);
  return r.body === undefined ? call : call.send(r.body);
}

function headerFor(
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

describe.each(backendTestDatabases().map(db => [db.id, db] as const))(
  'every entry point for every caller, in a real backend (%s)',
  (_id, db) => {
    let server: any;
    let stop: () => Promise<void>;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-matrix-'));
    const registered = new RegisteredEntryPoints();

    beforeAll(async () => {
      const backend = await startTestBackend({
        features: [
          pluginTokenAuthServiceFactory,
          httpAuthServiceFactory,
          catalogPlugin,
          permissionPlugin,
          forgePermissionPolicyModule,
          permissionsServiceFactory,
          ...recordingEntryPointFactories(registered),
          signInLikeUserInfo,
          recordingAuditor,
          compliancePlugin,
          costInsightsPlugin,
          outcomesPlugin,
          scaffolderPlugin,
          scaffolderModuleForge,
          mockServices.rootConfig.factory({
            data: {
              backend: { database: db.config() },
              permission: { enabled: true },
              catalog: {
                rules: [
                  {
                    allow: [
                      'Component',
                      'System',
                      'Resource',
                      'Location',
                      'Domain',
                      'Group',
                      'User',
                    ],
                  },
                ],
                locations: [
                  { type: 'file', target: path.join(ROOT, 'catalog/all.yaml') },
                ],
              },
              forge: {
                dataDir,
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
        ],
      });
      server = backend.server;
      stop = () => backend.stop();
      // The demo organisation in the catalog (read as a service, no permission involved) and scored once.
      for (let i = 0; i < 480; i++) {
        const res = await request(server)
          .get('/api/catalog/entities/by-name/component/default/churn-model')
          .set('Authorization', mockCredentials.service.header());
        if (res.status === 200) break;
        await new Promise(r => setTimeout(r, 250));
      }
    });

    afterAll(async () => {
      await stop?.();
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('has a row for every route and action the Forge plugins register, whatever way their code does it', () => {
      const documented = new Set(PERMISSION_MATRIX.map(entryPoint));
      const live = registered.list().filter(isForgeEntryPoint);
      expect(live.filter(e => !documented.has(e))).toEqual([]);
      expect([...documented].filter(e => !live.includes(e))).toEqual([]);
    });

    it.each(PERMISSION_MATRIX.map(e => [e.id, e] as const))(
      '%s',
      async (_name, entry) => {
        const plugin = pluginOf(entry);
        const outcomes: Array<[string, number | string]> = [];
        const expected: Array<[string, number | string]> = [];
        const refusals: Array<[string, unknown]> = [];
        const expectedRefusals: Array<[string, unknown]> = [];
        // The test backend's mock auth reads a missing header as a signed-in user: say "no credentials" explicitly.
        const anonymous = await send(
          server,
          entry,
          mockCredentials.none.header(),
        );
        outcomes.push(['no token', anonymous.status]);
        expected.push(['no token', entry.public ? 200 : 401]);
        const ok = requestFor(entry).ok;
        for (const caller of CALLERS) {
          const before = audited.length;
          const res = await send(server, entry, headerFor(caller, plugin));
          const allowed = allows(entry, caller);
          // Refused by the guard: an audited permission-denied (whatever the work itself would have answered).
          const refusal = audited
            .slice(before)
            .find(
              e => e.eventId === 'permission-denied' && e.status === 'failed',
            );
          // Let through: one of the statuses of the work itself and no refusal of the guard; refused: 403 by the
          // guard. Never a 500.
          outcomes.push([
            caller,
            allowed && ok.includes(res.status) && !refusal
              ? 'let through'
              : res.status,
          ]);
          expected.push([caller, allowed ? 'let through' : 403]);
          if (!allowed) {
            // Every refusal is the guard's, in the audit log, under the caller's one name.
            refusals.push([caller, refusal?.meta?.actor]);
            const subject = SERVICE_SUBJECTS[caller];
            expectedRefusals.push([
              caller,
              subject ? `service:${subject}` : USERS[caller],
            ]);
          }
        }
        expect(outcomes).toEqual(expected);
        expect(refusals).toEqual(expectedRefusals);
      },
    );

    it('keeps four eyes on a real approval: not the requester in any spelling, not an admin, yes compliance', async () => {
      const filed = await request(server)
        .post('/api/compliance/exemptions')
        .set('Authorization', headerFor('scaffolder', 'compliance')!)
        .send({
          ...exemption,
          kind: 'approval',
          entityRef: 'component:default/four-eyes-project',
          checkId: 'approval.restricted-data',
          onBehalfOf: 'user:default/Daniel.Moreau',
        })
        .expect(201);
      expect(filed.body.requestedBy).toBe('user:default/daniel.moreau');
      const decide = (user: string) =>
        request(server)
          .post(`/api/compliance/exemptions/${filed.body.id}/decision`)
          .set('Authorization', mockCredentials.user.header(user))
          .send({ status: 'approved', note: 'reviewed' });
      expect((await decide('user:default/daniel.moreau')).status).toBe(403);
      expect((await decide('user:default/noah.kim')).status).toBe(403);
      const approved = await decide('user:default/grace.obrien');
      expect(approved.status).toBe(200);
      expect(approved.body.decidedBy).toBe('user:default/grace.obrien');
    });
  },
);

// --- Tokens as configured: Backstage's accessRestrictions and Forge's grants, each on its own -------------

describe('external tokens exactly as app-config.yaml and app-config.production.yaml configure them', () => {
  const EMBEDDED_CI = appConfig.backend.auth.externalAccess[0].options
    .token as string;
  const PRODUCTION_CI = 'a-production-ci-token-from-the-environment';
  const MISCONFIGURED = 'a-scanner-token-nobody-restricted';
  let server: any;
  let stop: () => Promise<void>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-tokens-'));

  beforeAll(async () => {
    const production = JSON.parse(
      JSON.stringify(productionConfig.backend.auth.externalAccess).replace(
        '${FORGE_CI_TOKEN}',
        PRODUCTION_CI,
      ),
    );
    const backend = await startTestBackend({
      features: [
        authServiceFactory,
        httpAuthServiceFactory,
        permissionsServiceFactory,
        actionsRegistryServiceFactory,
        catalogPlugin,
        compliancePlugin,
        costInsightsPlugin,
        outcomesPlugin,
        mockServices.rootConfig.factory({
          data: {
            backend: {
              auth: {
                externalAccess: [
                  ...appConfig.backend.auth.externalAccess,
                  ...production,
                  // A token someone forgot to restrict: Backstage would let it do anything.
                  {
                    type: 'static',
                    options: { token: MISCONFIGURED, subject: 'scanner' },
                  },
                ],
              },
            },
            permission: { enabled: true },
            catalog: {
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'Resource',
                    'Location',
                    'Domain',
                    'Group',
                    'User',
                  ],
                },
              ],
              locations: [
                { type: 'file', target: path.join(ROOT, 'catalog/all.yaml') },
              ],
            },
            forge: {
              dataDir,
              permissions: appConfig.forge.permissions,
              compliance: { policyDirectory: path.join(ROOT, 'policies') },
              cost: { demoData: { enabled: false } },
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
    for (let i = 0; i < 480; i++) {
      const res = await request(server)
        .post('/api/compliance/facts/component/default/churn-model')
        .set('Authorization', `Bearer ${EMBEDDED_CI}`)
        .send({
          name: 'ci',
          collectedAt: new Date().toISOString(),
          data: { status: 'passing' },
        });
      if (res.status === 201) break;
      await new Promise(r => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    await stop?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const entries = PERMISSION_MATRIX.filter(
    e => !e.id.includes('/api/scaffolder/') && !e.id.endsWith('/openapi.json'),
  );

  it.each([
    ['the embedded CI token', EMBEDDED_CI, 'CI token' as const],
    ['the production CI token', PRODUCTION_CI, 'CI token' as const],
    [
      'an unrestricted token Forge grants nothing',
      MISCONFIGURED,
      'other service' as const,
    ],
  ])(
    '%s may do what the matrix says and nothing else',
    async (_name, token, column) => {
      const outcomes: Array<[string, number | string]> = [];
      const expected: Array<[string, number | string]> = [];
      for (const entry of entries) {
        const res = await send(server, entry, `Bearer ${token}`);
        const ok = requestFor(entry).ok;
        outcomes.push([
          entry.id,
          allows(entry, column) && ok.includes(res.status) ? 'ok' : res.status,
        ]);
        expected.push([entry.id, allows(entry, column) ? 'ok' : 403]);
      }
      expect(outcomes).toEqual(expected);
    },
  );
});
