import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  createBackendPlugin,
  coreServices,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { mockCredentials } from '@backstage/backend-test-utils';
import Router from 'express-promise-router';
import {
  CALLERS,
  MatrixCaller,
  MatrixEntry,
  PERMISSION_MATRIX,
  allows,
  SERVICE_SUBJECTS,
} from './permissionMatrix';
import { backendTestDatabases } from '../../testing/databases';
import {
  audited,
  days,
  demoCatalogLoaded,
  exemption,
  headerFor,
  pluginOf,
  REQUESTS,
  requestFor,
  ROOT,
  startMatrixBackend,
  USERS,
} from './__testUtils__/matrixBackend';

jest.setTimeout(600_000);

/**
 * Red-team inputs against every entry point the permission matrix records, on a real backend wired as
 * packages/backend/src/index.ts wires it (Forge's root HTTP router, development mode, so Backstage would put stacks
 * in error bodies): identity fields smuggled anywhere, oversized strings, deep objects, bad dates. Each answer must
 * be a clean 4xx (a message, the request id, no stack, no path of the server), never a 500, and nothing is stored.
 */

/** A port free right now, for the real root router (which, unlike the test's, listens where the config says). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A plugin that fails the way a bug would, on a route and in an action: the 500 a person must never see details of. */
const crashPlugin = createBackendPlugin({
  pluginId: 'crash',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({ httpRouter, actionsRegistry }) {
        const router = Router();
        router.get('/boom', async () => {
          throw new Error(
            `ENOENT: no such file or directory, open '${ROOT}/.data/forge-history.key'`,
          );
        });
        httpRouter.use(router);
        httpRouter.addAuthPolicy({ path: '/boom', allow: 'unauthenticated' });
        actionsRegistry.register({
          name: 'boom',
          title: 'Fails',
          description: 'Throws a TypeError',
          schema: { input: z => z.object({}), output: z => z.object({}) },
          action: async () => {
            throw new TypeError(
              `Cannot read properties of undefined (reading 'id') at ${ROOT}/plugins/x.ts:1:1`,
            );
          },
        });
      },
    });
  },
});

/** The first caller the matrix lets through: a person if any may, else a service. */
function allowedCaller(entry: MatrixEntry): MatrixCaller | undefined {
  return CALLERS.find(c => allows(entry, c));
}

function actorOf(caller: MatrixCaller): string {
  const subject = SERVICE_SUBJECTS[caller];
  return subject ? `service:${subject}` : USERS[caller]!;
}

type Variant = {
  name: string;
  query?: string;
  headers?: Record<string, string>;
  body?: (body: any) => unknown;
  /** Through the registry's v2 invoke route, which takes `{ input }` (actions only). */
  v2?: boolean;
};

/** A JSON body with an extra field nested `depth` levels deep, as text. */
class DeepJson {
  constructor(readonly text: string) {}
}
function withDeepField(body: object, depth: number): DeepJson {
  const deep = `${'{"value":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
  const base = JSON.stringify(body);
  return new DeepJson(
    base === '{}'
      ? `{"extra":${deep}}`
      : `${base.slice(0, -1)},"extra":${deep}}`,
  );
}

/** Every string of a JSON value replaced by `long`. */
function withLongStrings(value: unknown, long: string): unknown {
  if (typeof value === 'string') return long;
  if (Array.isArray(value)) return value.map(v => withLongStrings(v, long));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withLongStrings(v, long)]),
    );
  }
  return value;
}

const isAction = (entry: MatrixEntry) => entry.id.startsWith('action ');
const hasJsonBody = (entry: MatrixEntry) => {
  const spec = REQUESTS[entry.id];
  return (
    isAction(entry) ||
    (spec?.body !== undefined && typeof spec.body === 'object' && !spec.type)
  );
};

async function sendVariant(
  server: string,
  entry: MatrixEntry,
  caller: MatrixCaller,
  variant: Variant,
) {
  const r = requestFor(entry);
  const target = variant.v2 ? r.path.replace('/v1/', '/v2/') : r.path;
  const url = variant.query
    ? `${target}${target.includes('?') ? '&' : '?'}${variant.query}`
    : target;
  let call = (request(server) as any)[r.method.toLowerCase()](url);
  const authorization = headerFor(caller, pluginOf(entry));
  if (authorization) call = call.set('Authorization', authorization);
  if (r.type) call = call.set('content-type', r.type);
  for (const [k, v] of Object.entries(variant.headers ?? {}))
    call = call.set(k, v);
  const unwrapped = variant.body ? variant.body(r.body ?? {}) : r.body;
  const body = variant.v2 ? { input: unwrapped } : unwrapped;
  if (body instanceof DeepJson) {
    // Written by hand: the test client's own JSON writer recurses and would overflow before sending.
    return call.set('content-type', 'application/json').send(body.text);
  }
  return body === undefined ? call : call.send(body);
}

/** A clean error answer: Backstage's error body with a message and the request id, nothing of the server's insides. */
function cleanError(res: request.Response): string | undefined {
  const problems: string[] = [];
  if (!res.body?.error?.message) problems.push('no message');
  if (
    !res.body?.request?.id ||
    res.body.request.id !== res.headers['x-request-id']
  )
    problems.push('no request id');
  if (res.text.includes(' at ') && /\.(ts|js):\d+/.test(res.text))
    problems.push('a stack');
  if (res.text.includes(ROOT) || res.text.includes('node_modules'))
    problems.push('a server path');
  return problems.length ? problems.join(', ') : undefined;
}

// The OpenAPI documents read nothing from a request (no guard, no data): every other entry point is swept.
const guarded = PERMISSION_MATRIX.filter(
  e => !e.public && !e.id.endsWith('/openapi.json') && allowedCaller(e),
);

describe.each(backendTestDatabases().map(db => [db.id, db] as const))(
  'red-team inputs on every entry point, in a real backend (%s)',
  (_id, db) => {
    let server: string;
    let stop: () => Promise<void>;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-sweep-'));
    const env = process.env.NODE_ENV;

    /** What the stores hold, read through the API: must be the same after every refused request. */
    async function stored() {
      const as = (caller: MatrixCaller, plugin: string) =>
        headerFor(caller, plugin)!;
      const read = async (p: string, caller: MatrixCaller) =>
        (
          await request(server)
            .get(p)
            .set('Authorization', as(caller, p.split('/')[2]))
        ).body;
      return {
        exemptions: await read('/api/compliance/exemptions', 'compliance'),
        gates: await read(
          '/api/compliance/scorecards/component/default/brand-new-project/gate-evaluations',
          'compliance',
        ),
        // Budgets set through Forge, and what they were set to (the catalog's own appear with the demo billing data).
        budgets: (await read('/api/cost-insights/budgets', 'admin'))
          .filter((b: { source: string }) => b.source === 'forge')
          .map(
            (b: { entityRef: string; monthlyAmount: number; source: string }) =>
              `${b.entityRef} ${b.monthlyAmount} ${b.source}`,
          )
          .sort(),
        // The demo billing data is ingested in the background meanwhile: only uploads come from requests.
        ingestions: (
          await read('/api/cost-insights/ingestions', 'admin')
        ).filter((i: { source: string }) => i.source !== 'demo'),
        surveys: await read('/api/outcomes/surveys/pending', 'guest'),
      };
    }

    beforeAll(async () => {
      // As `./forge start` runs the backend: Backstage's error handler then puts stacks in every error body.
      process.env.NODE_ENV = 'development';
      const backend = await startMatrixBackend({
        database: db.config(),
        dataDir,
        listenPort: await freePort(),
        features: [actionsRegistryServiceFactory, crashPlugin],
      });
      server = backend.server;
      stop = backend.stop;
      await demoCatalogLoaded(server);
    });

    afterAll(async () => {
      process.env.NODE_ENV = env;
      await stop?.();
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('refuses an identity field smuggled anywhere, on every entry point, audited under the caller', async () => {
      const before = await stored();
      const outcomes: Array<[string, string, unknown]> = [];
      for (const entry of guarded) {
        const caller = allowedCaller(entry)!;
        const variants: Variant[] = isAction(entry)
          ? []
          : [
              {
                name: 'query onBehalfOf',
                query: 'onBehalfOf=user:default/noah.kim',
              },
              {
                name: 'query Requested_By',
                query: 'Requested_By=user:default/noah.kim',
              },
              {
                name: 'header X-On-Behalf-Of',
                headers: { 'X-On-Behalf-Of': 'user:default/noah.kim' },
              },
              {
                name: 'header X-Forge-Actor',
                headers: { 'X-Forge-Actor': 'user:default/noah.kim' },
              },
            ];
        if (hasJsonBody(entry)) {
          variants.push(
            {
              name: 'body ACTOR',
              body: b => ({ ...b, ACTOR: 'user:default/noah.kim' }),
            },
            {
              name: 'body decided-by',
              body: b => ({ ...b, 'decided-by': 'user:default/noah.kim' }),
            },
            {
              name: 'nested requestedBy',
              body: b => ({
                ...b,
                extra: [{ requestedBy: 'user:default/noah.kim' }],
              }),
            },
          );
          if (caller !== 'scaffolder') {
            variants.push({
              name: 'body onBehalfOf',
              body: b => ({ ...b, onBehalfOf: 'user:default/noah.kim' }),
            });
          }
        }
        if (isAction(entry)) {
          variants.push({
            name: 'v2 input onBehalfOf',
            v2: true,
            body: b => ({ ...b, onBehalfOf: 'user:default/noah.kim' }),
          });
        }
        for (const variant of variants) {
          const seen = audited.length;
          const res = await sendVariant(server, entry, caller, variant);
          const refusal = audited
            .slice(seen)
            .find(
              e =>
                e.eventId === 'identity-field-refused' && e.status === 'failed',
            );
          const clean = cleanError(res);
          outcomes.push([
            entry.id,
            variant.name,
            [400, 403].includes(res.status) &&
            refusal?.meta?.actor === actorOf(caller) &&
            !clean
              ? 'refused, audited'
              : {
                  status: res.status,
                  audited: refusal?.meta,
                  clean,
                  message: res.body?.error?.message,
                },
          ]);
        }
      }
      expect(outcomes.filter(o => o[2] !== 'refused, audited')).toEqual([]);
      expect(await stored()).toEqual(before);
    });

    it("takes free-form data as data: a CI run's own actor is a finding, the token is who acts", async () => {
      const seen = audited.length;
      const fact = await request(server)
        .post('/api/compliance/facts/component/default/churn-model')
        .set('Authorization', headerFor('CI token', 'compliance')!)
        .send({
          name: 'github-run',
          collectedAt: new Date().toISOString(),
          data: { status: 'passing', actor: 'octocat', requestedBy: 'octocat' },
        });
      expect(fact.status).toBe(201);
      expect(
        audited
          .slice(seen)
          .filter(e => e.eventId === 'fact-push' && e.status === 'succeeded')
          .map(e => e.meta?.actor),
      ).toEqual(['service:ci']);
      const dryRun = await request(server)
        .post('/api/compliance/dry-run')
        .set('Authorization', headerFor('guest', 'compliance')!)
        .send({
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name: 'x', createdBy: 'someone' },
            spec: { owner: 'group:default/retention-analytics' },
          },
        });
      expect(dryRun.status).toBe(200);
    });

    it('answers oversized strings, deep objects and unknown fields with a clean 4xx, never a 500', async () => {
      const before = await stored();
      const outcomes: Array<[string, string, unknown]> = [];
      for (const entry of guarded) {
        const caller = allowedCaller(entry)!;
        const variants: Array<Variant & { expect: 'refused' | 'not 500' }> = [];
        const body = requestFor(entry).body;
        if (
          hasJsonBody(entry) &&
          JSON.stringify(withLongStrings(body, '\u0000')).includes('\\u0000')
        ) {
          variants.push(
            {
              name: 'strings of 5,000 characters',
              body: b => withLongStrings(b, 'é'.repeat(5_000)),
              expect: 'refused',
            },
            {
              name: 'strings of 2 MB',
              body: b => withLongStrings(b, 'x'.repeat(2_000_000)),
              expect: 'refused',
            },
          );
        }
        if (hasJsonBody(entry)) {
          variants.push(
            {
              name: 'nested 100 deep',
              body: b => withDeepField(b, 100),
              expect: 'refused',
            },
            {
              name: 'nested 50,000 deep',
              body: b => withDeepField(b, 50_000),
              expect: 'refused',
            },
          );
        }
        for (const variant of variants) {
          const res = await sendVariant(server, entry, caller, variant);
          const ok =
            res.status < 500 &&
            (res.status < 400 || !cleanError(res)) &&
            (variant.expect === 'not 500' ||
              (res.status >= 400 && res.status < 500));
          outcomes.push([
            entry.id,
            variant.name,
            ok
              ? 'clean'
              : {
                  status: res.status,
                  clean: cleanError(res),
                  message: res.body?.error?.message,
                },
          ]);
        }
      }
      // Strings of 5,000 characters fit where a field takes free text or data (a fact's data, a blueprint's values):
      // there they are stored or used as data, which the next assertion checks did not happen for refused calls.
      const fits = new Set([
        'POST /api/compliance/dry-run strings of 5,000 characters',
        'POST /api/scaffolder/forge/preview strings of 5,000 characters',
      ]);
      expect(
        outcomes.filter(o => o[2] !== 'clean' && !fits.has(`${o[0]} ${o[1]}`)),
      ).toEqual([]);
      expect(await stored()).toEqual(before);
    });

    it('ignores a long unknown query parameter or refuses it cleanly, never with a 500', async () => {
      const outcomes: Array<[string, unknown]> = [];
      for (const entry of guarded.filter(e => !isAction(e))) {
        const res = await sendVariant(server, entry, allowedCaller(entry)!, {
          name: 'a long unknown query parameter',
          query: `q=${'a'.repeat(8_000)}`,
        });
        outcomes.push([
          entry.id,
          res.status < 500 && (res.status < 400 || !cleanError(res))
            ? 'clean'
            : { status: res.status, clean: cleanError(res) },
        ]);
      }
      expect(outcomes.filter(o => o[1] !== 'clean')).toEqual([]);
    });

    const BAD_TIMESTAMPS = [
      '+275760-09-13T00:00:00.000Z',
      '1',
      '9999-12-31T23:59:59Z',
      '2026-02-30T10:00:00Z',
      '2026-11-25 10:00',
      '2026-11-25T10:00:00',
      '',
    ];

    it.each([
      ...BAD_TIMESTAMPS.map(v => ['fact collectedAt', v] as const),
      ['fact collectedAt', 'tomorrow'] as const,
    ])('refuses a bad %s (%s) and stores nothing', async (_what, value) => {
      const before = await stored();
      const collectedAt = value === 'tomorrow' ? days(1) : value;
      const res = await request(server)
        .post('/api/compliance/facts/component/default/churn-model')
        .set('Authorization', headerFor('CI token', 'compliance')!)
        .send({ name: 'red-team', collectedAt, data: { status: 'passing' } });
      expect([res.status, cleanError(res)]).toEqual([400, undefined]);
      expect(res.body.error.message).toMatch(/^Invalid collectedAt: must/);
      expect(await stored()).toEqual(before);
    });

    it.each([
      ...BAD_TIMESTAMPS.map(v => [v, v] as const),
      ['in the past', days(-1)] as const,
      ['beyond the longest exemption (180 days)', days(181)] as const,
    ])(
      'refuses an exemption expiring %s, by REST and by the action, and stores nothing',
      async (_name, expiresAt) => {
        const before = await stored();
        const guest = headerFor('guest', 'compliance')!;
        const rest = await request(server)
          .post('/api/compliance/exemptions')
          .set('Authorization', guest)
          .send({ ...exemption, expiresAt });
        const action = await request(server)
          .post(
            '/api/compliance/.backstage/actions/v1/actions/compliance:request-compliance-exemption/invoke',
          )
          .set('Authorization', guest)
          .send({ ...exemption, expiresAt });
        for (const res of [rest, action]) {
          expect([res.status, cleanError(res)]).toEqual([400, undefined]);
          expect(res.body.error.message).toMatch(/expiresAt/);
        }
        expect(await stored()).toEqual(before);
      },
    );

    it.each([
      [
        'scorecard',
        '/api/compliance/scorecards/component/default/churn-model?asOf=',
      ],
      [
        'evidence',
        '/api/compliance/evidence?scope=entity:component:default/churn-model&format=csv&asOf=',
      ],
    ])('refuses a bad asOf of the %s', async (_name, prefix) => {
      const caller = prefix.includes('evidence') ? 'compliance' : 'guest';
      const outcomes: Array<[string, number]> = [];
      for (const value of [
        ...BAD_TIMESTAMPS,
        days(1),
        '2999-01-01',
        '2026-13-01',
      ]) {
        const res = await request(server)
          .get(`${prefix}${encodeURIComponent(value)}`)
          .set('Authorization', headerFor(caller, 'compliance')!);
        outcomes.push([value, cleanError(res) ? -res.status : res.status]);
      }
      expect(outcomes.filter(([, status]) => status !== 400)).toEqual([]);
      const today = new Date().toISOString().slice(0, 10);
      const res = await request(server)
        .get(`${prefix}${today}`)
        .set('Authorization', headerFor(caller, 'compliance')!);
      expect([200, 404]).toContain(res.status);
    });

    it('refuses bad cost date ranges and intervals', async () => {
      const admin = headerFor('admin', 'cost-insights')!;
      const outcomes: Array<[string, number]> = [];
      for (const query of [
        'by=service&start=2026-12-01&end=2026-11-01',
        'by=service&start=1900-01-01&end=2026-01-01',
        'by=service&start=%2B275760-01-01&end=2026-01-01',
        'by=service&start=1&end=2026-01-01',
        'by=service&start=2026-02-30&end=2026-03-10',
        'by=service&start=2026-01-01T00:00:00Z&end=2026-02-01',
      ]) {
        const res = await request(server)
          .get(`/api/cost-insights/cost?${query}`)
          .set('Authorization', admin);
        outcomes.push([query, cleanError(res) ? -res.status : res.status]);
      }
      for (const intervals of [
        'R2/P30D/%2B275760-01-01',
        'R99/P999D/2026-12-01',
        'R2/P30D/2026-02-30',
        '1',
        'R0/P1D/2026-12-01',
      ]) {
        const res = await request(server)
          .get(
            `/api/cost-insights/groups/retention-analytics/daily-cost?intervals=${intervals}`,
          )
          .set('Authorization', admin);
        outcomes.push([intervals, cleanError(res) ? -res.status : res.status]);
      }
      expect(outcomes.filter(([, status]) => status !== 400)).toEqual([]);
    });

    it.each(['compliance', 'cost-insights', 'outcomes', 'scaffolder/forge'])(
      'answers an unknown route under /api/%s with a clean 404',
      async plugin => {
        for (const method of ['get', 'post', 'delete'] as const) {
          const res = await (request(server) as any)
            [method](`/api/${plugin}/no-such-route`)
            .set('Authorization', mockCredentials.user.header(USERS.guest!));
          expect([method, res.status, cleanError(res)]).toEqual([
            method,
            404,
            undefined,
          ]);
        }
      },
    );

    it('answers a thrown error with a message and the request id, no stack and no path, in development mode', async () => {
      const route = await request(server).get('/api/crash/boom');
      const action = await request(server)
        .post('/api/crash/.backstage/actions/v1/actions/crash:boom/invoke')
        .set('Authorization', mockCredentials.user.header(USERS.guest!))
        .send({});
      for (const res of [route, action]) {
        expect([res.status, cleanError(res)]).toEqual([500, undefined]);
        expect(res.body.error.message).toBe(
          `Something went wrong in Forge. Quote request id ${res.headers['x-request-id']} to the platform team; the details are in the server log.`,
        );
        expect(res.text).not.toMatch(
          /ENOENT|TypeError|forge-history\.key|plugins\/x\.ts/,
        );
      }
    });
  },
);
