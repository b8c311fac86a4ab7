import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
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
import compliancePlugin from '@internal/plugin-compliance-backend';
import costInsightsPlugin from '@internal/plugin-cost-insights-backend';
import {
  allows,
  allowsOnRun,
  BLUEPRINT_RUN_MATRIX,
  BlueprintRunEntry,
  CALLERS,
  RUN_AUTHOR,
  RUN_CALLERS,
  GrantedService,
  grantsOf,
  PERMISSION_MATRIX,
  MatrixEntry,
  renderPermissionMatrix,
  SERVICE_SUBJECTS,
} from './permissionMatrix';
import { backendTestDatabases } from '../../testing/databases';
import {
  recordingEntryPointFactories,
  RegisteredEntryPoints,
} from './__testUtils__/recordingEntryPoints';
import {
  appConfig,
  audited,
  demoCatalogConfig,
  blueprintCreated,
  blueprintRunStarted,
  demoCatalogLoaded,
  exemption,
  headerFor,
  pluginOf,
  requestFor,
  ROOT,
  send,
  startMatrixBackend,
  USERS,
} from './__testUtils__/matrixBackend';

jest.setTimeout(300_000);

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

describe.each(backendTestDatabases().map(db => [db.id, db] as const))(
  'every entry point for every caller, in a real backend (%s)',
  (_id, db) => {
    let server: any;
    let stop: () => Promise<void>;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-matrix-'));
    const registered = new RegisteredEntryPoints();

    beforeAll(async () => {
      const backend = await startMatrixBackend({
        database: db.config(),
        dataDir,
        features: recordingEntryPointFactories(registered),
      });
      server = backend.server;
      stop = () => backend.stop();
      await demoCatalogLoaded(server);
      await blueprintCreated(server, 'component:default/churn-model');
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

    it.each(BLUEPRINT_RUN_MATRIX.map(e => [e.id, e] as const))(
      'blueprint run of another person: %s',
      async (_name, entry) => {
        const taskId = await blueprintRunStarted(server, USERS[RUN_AUTHOR]!);
        const outcomes: Array<[string, number | string]> = [];
        const expected: Array<[string, number | string]> = [];
        for (const caller of RUN_CALLERS) {
          const res = await sendOnRun(
            server,
            entry,
            taskId,
            headerFor(caller, 'scaffolder')!,
          );
          outcomes.push([caller, runOutcome(entry, res, taskId)]);
          expected.push([
            caller,
            // eslint-disable-next-line no-nested-ternary
            allowsOnRun(caller)
              ? 'let through'
              : entry.list
              ? 'not listed'
              : 403,
          ]);
        }
        expect(outcomes).toEqual(expected);
      },
    );

    it('keeps the outcomes collector reading every blueprint run with its own token', async () => {
      const taskId = await blueprintRunStarted(server, USERS[RUN_AUTHOR]!);
      const header = headerFor('outcomes', 'scaffolder')!;
      const list = await request(server)
        .get('/api/scaffolder/v2/tasks?limit=500&offset=0&order=asc:created_at')
        .set('Authorization', header)
        .expect(200);
      expect(list.body.tasks.map((t: { id: string }) => t.id)).toContain(
        taskId,
      );
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
        .set('Authorization', header)
        .expect(200);
      expect(events.body.length).toBeGreaterThan(0);
    });

    it("shows an exemption's justification only to the entity's owners, its requester, compliance and security", async () => {
      const filed = await request(server)
        .post('/api/compliance/exemptions')
        .set('Authorization', headerFor('guest', 'compliance')!)
        .send(exemption);
      expect([201, 409]).toContain(filed.status);
      const seen: Array<[string, number | string]> = [];
      // Each caller's answer: refused, the records with their free text, or the records without it (and without
      // its words anywhere) but with what the outcomes collector counts.
      const whatIsShown = (res: request.Response) => {
        if (res.status !== 200) return res.status;
        const items = (res.body.items ?? []) as Array<Record<string, unknown>>;
        const counted = items.every(
          e =>
            e.entityRef === exemption.entityRef &&
            typeof e.status === 'string' &&
            typeof e.expiresAt === 'string',
        );
        if (!items.length || !counted) return 'no usable records';
        if (
          items.every(e => 'justification' in e && 'compensatingControl' in e)
        ) {
          return 'justification';
        }
        const text = JSON.stringify(items);
        return items.every(
          e => !('justification' in e) && !('compensatingControl' in e),
        ) &&
          !text.includes(exemption.justification) &&
          !text.includes(exemption.compensatingControl)
          ? 'without it'
          : 'partly withheld';
      };
      for (const caller of CALLERS) {
        const res = await request(server)
          .get('/api/compliance/exemptions')
          .query({ entityRef: exemption.entityRef, checkId: exemption.checkId })
          .set('Authorization', headerFor(caller, 'compliance')!);
        seen.push([caller, whatIsShown(res)]);
      }
      expect(seen).toEqual([
        ['guest', 'justification'],
        ['member', 'without it'],
        ['manager', 'without it'],
        ['compliance', 'justification'],
        ['security', 'justification'],
        ['admin', 'without it'],
        ['CI token', 403],
        ['other service', 403],
        ['scaffolder', 'without it'],
        ['outcomes', 'without it'],
      ]);

      // Whoever filed one sees its text, also on an entity they do not own (an approval filed for them).
      const approval = {
        ...exemption,
        kind: 'approval',
        entityRef: 'component:default/brand-new-project',
        checkId: 'approval.restricted-data',
      };
      const forMember = await request(server)
        .post('/api/compliance/exemptions')
        .set('Authorization', headerFor('scaffolder', 'compliance')!)
        .send({ ...approval, onBehalfOf: USERS.member });
      expect([201, 409]).toContain(forMember.status);
      const shownOnApproval: Array<[string, unknown]> = [];
      for (const caller of ['member', 'manager'] as const) {
        const res = await request(server)
          .get('/api/compliance/exemptions')
          .query({ entityRef: approval.entityRef, checkId: approval.checkId })
          .set('Authorization', headerFor(caller, 'compliance')!);
        shownOnApproval.push([
          caller,
          (res.body.items as Array<Record<string, unknown>>)
            .filter(e => e.requestedBy === USERS.member)
            .map(e => e.justification ?? 'withheld'),
        ]);
      }
      expect(shownOnApproval).toEqual([
        ['member', [exemption.justification]],
        ['manager', ['withheld']],
      ]);
    });

    it("withholds an exemption's justification on the scorecard from the same callers as on /exemptions", async () => {
      // A check the demo's churn-model fails, exempted by its owner's request and compliance's approval.
      await request(server)
        .post(
          '/api/compliance/scorecards/component/default/churn-model/evaluate',
        )
        .set('Authorization', headerFor('compliance', 'compliance')!)
        .expect(200);
      const before = await request(server)
        .get('/api/compliance/scorecards/component/default/churn-model')
        .set('Authorization', headerFor('compliance', 'compliance')!)
        .expect(200);
      const failing = (before.body.results as any[]).find(
        r => r.status === 'fail',
      );
      expect(failing).toBeDefined();
      const onFailing = { ...exemption, checkId: failing.checkId };
      const filed = await request(server)
        .post('/api/compliance/exemptions')
        .set('Authorization', headerFor('guest', 'compliance')!)
        .send(onFailing);
      expect([201, 409]).toContain(filed.status);
      const pendingOne = await request(server)
        .get('/api/compliance/exemptions')
        .query({
          entityRef: exemption.entityRef,
          checkId: onFailing.checkId,
          status: 'pending',
        })
        .set('Authorization', headerFor('compliance', 'compliance')!);
      for (const e of pendingOne.body.items ?? []) {
        await request(server)
          .post(`/api/compliance/exemptions/${e.id}/decision`)
          .set('Authorization', headerFor('compliance', 'compliance')!)
          .send({ status: 'approved', note: 'reviewed' })
          .expect(200);
      }
      await request(server)
        .post(
          '/api/compliance/scorecards/component/default/churn-model/evaluate',
        )
        .set('Authorization', headerFor('compliance', 'compliance')!)
        .expect(200);
      const seen: Array<[string, number | string]> = [];
      for (const caller of CALLERS) {
        const res = await request(server)
          .get('/api/compliance/scorecards/component/default/churn-model')
          .set('Authorization', headerFor(caller, 'compliance')!);
        if (res.status !== 200) {
          seen.push([caller, res.status]);
          continue;
        }
        const check = (res.body.results as any[]).find(
          r => r.checkId === onFailing.checkId,
        );
        expect(check).toMatchObject({ status: 'exempt' });
        expect(check.exemption.id).toEqual(expect.any(String));
        let shown = 'without it';
        if (check.exemption.justification === exemption.justification)
          shown = 'justification';
        else if (JSON.stringify(res.body).includes(exemption.justification))
          shown = 'leaked elsewhere';
        seen.push([caller, shown]);
      }
      expect(seen).toEqual([
        ['guest', 'justification'],
        ['member', 'without it'],
        ['manager', 'without it'],
        ['compliance', 'justification'],
        ['security', 'justification'],
        ['admin', 'without it'],
        ['CI token', 403],
        ['other service', 403],
        ['scaffolder', 'without it'],
        ['outcomes', 'without it'],
      ]);
      // Evaluating answers the scorecard too, under the same rule.
      const evaluated: Array<[string, boolean]> = [];
      for (const caller of ['guest', 'member'] as const) {
        const res = await request(server)
          .post(
            '/api/compliance/scorecards/component/default/churn-model/evaluate',
          )
          .set('Authorization', headerFor(caller, 'compliance')!)
          .expect(200);
        evaluated.push([
          caller,
          JSON.stringify(res.body).includes(exemption.justification),
        ]);
      }
      expect(evaluated).toEqual([
        ['guest', true],
        ['member', false],
      ]);
    });

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

/** The request a blueprint-run row is tried with, on the run `taskId`. */
function sendOnRun(
  server: any,
  entry: BlueprintRunEntry,
  taskId: string,
  authorization: string,
) {
  if (entry.id.startsWith('action ')) {
    const name = entry.id.slice(7);
    return request(server)
      .post(`/api/scaffolder/.backstage/actions/v1/actions/${name}/invoke`)
      .set('Authorization', authorization)
      .send(entry.list ? { limit: 1000 } : { taskId })
      .timeout(60_000);
  }
  const [method, pattern] = entry.id.split(' ');
  const p = pattern.replace(':taskId', taskId);
  const call =
    method === 'GET'
      ? request(server).get(entry.list ? `${p}?limit=1000` : p)
      : request(server).post(p).send({});
  return call.set('Authorization', authorization).timeout(60_000);
}

/** What a blueprint-run row answered: let through, refused (403), or (lists) answered without the run. */
function runOutcome(
  entry: BlueprintRunEntry,
  res: request.Response,
  taskId: string,
): string | number {
  if (entry.list) {
    if (res.status !== 200) return res.status;
    const tasks = (res.body.output ?? res.body).tasks as Array<{ id: string }>;
    return tasks.some(t => t.id === taskId) ? 'let through' : 'not listed';
  }
  const ok = entry.id.endsWith('/retry') ? [201, 409] : [200];
  return ok.includes(res.status) ? 'let through' : res.status;
}

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
            catalog: demoCatalogConfig,
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
