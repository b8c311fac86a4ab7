import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { ForgeGuard } from './ForgeGuard';
import { ServicePermissions } from './ServicePermissions';

const factsPush = createPermission({
  name: 'forge.compliance.facts.push',
  attributes: { action: 'create' },
});
const reload = createPermission({
  name: 'forge.compliance.policy.reload',
  attributes: { action: 'update' },
});
const requestExemption = createPermission({
  name: 'forge.compliance.exemption.request',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

type Logged = AuditorServiceCreateEventOptions & {
  status: 'initiated' | 'succeeded' | 'failed';
  error?: string;
};

/** An auditor that keeps what it is told, as Backstage's would log it. */
function recordingAuditor(): AuditorService & { events: Logged[] } {
  const events: Logged[] = [];
  return {
    events,
    async createEvent(options) {
      events.push({ ...options, status: 'initiated' });
      return {
        async success(params) {
          events.push({
            ...options,
            meta: { ...options.meta, ...params?.meta },
            status: 'succeeded',
          });
        },
        async fail(params) {
          events.push({
            ...options,
            meta: { ...options.meta, ...params.meta },
            status: 'failed',
            error: params.error.message,
          });
        },
      };
    },
  };
}

/**
 * Backstage's own decision for services (ServerPermissionClient: allow unless the token's accessRestrictions say
 * otherwise) and a policy for people that allows only Daniel.
 */
function backstageLikePermissions(): PermissionsService {
  return {
    async authorize(requests, options) {
      const principal = (options as any).credentials.principal;
      return requests.map(() => ({
        result:
          principal.type === 'service' ||
          principal.userEntityRef === 'user:default/daniel.moreau'
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      }));
    },
    async authorizeConditional() {
      throw new Error('not used');
    },
  };
}

function createApp() {
  const auditor = recordingAuditor();
  const guard = new ForgeGuard({
    httpAuth: mockServices.httpAuth({ pluginId: 'compliance' }),
    permissions: backstageLikePermissions(),
    auditor,
    services: ServicePermissions.fromMap({
      ci: [factsPush.name],
      'plugin:scaffolder': [reload.name],
    }),
  });
  const router = Router();
  router.use(express.json());
  router.post('/facts', async (req, res) => {
    const result = await guard.audited(
      req,
      {
        eventId: 'fact-push',
        permission: factsPush,
        meta: { fact: 'ci' },
        describe: (r: { stored: boolean }) => ({ stored: r.stored }),
      },
      async caller => ({ stored: true, by: caller.actor }),
    );
    res.status(201).json(result);
  });
  router.post('/reload', async (req, res) => {
    const caller = await guard.authorize(req, reload);
    res.json({ by: caller.actor });
  });
  router.post('/file', async (req, res) => {
    const caller = await guard.authorize(req, reload, { onBehalfOf: true });
    res.status(201).json({ by: caller.actor, for: req.body.onBehalfOf });
  });
  router.post('/scan', async (req, res) => {
    const caller = await guard.authorize(req, reload, { freeForm: ['data'] });
    res.status(201).json({ by: caller.actor });
  });
  const app = express().use(router).use(mockErrorHandler());
  return { app, auditor, guard };
}

describe('ForgeGuard', () => {
  it('gives a service only what forge.permissions.services lists, although Backstage would allow everything', async () => {
    const { app, auditor } = createApp();
    const ci = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('ci'),
      targetPluginId: 'compliance',
    });
    const pushed = await request(app).post('/facts').set('authorization', ci);
    expect(pushed.status).toBe(201);
    expect(pushed.body.by).toBe('service:ci');

    const reloaded = await request(app)
      .post('/reload')
      .set('authorization', ci);
    expect(reloaded.status).toBe(403);
    expect(reloaded.body.error.message).toContain(
      "The service 'ci' may not reload policy packs",
    );

    const other = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('scanner'),
      targetPluginId: 'compliance',
    });
    expect(
      (await request(app).post('/facts').set('authorization', other)).status,
    ).toBe(403);

    expect(
      auditor.events
        .filter(e => e.eventId === 'permission-denied')
        .map(e => [e.status, e.meta?.actor, e.meta?.permission]),
    ).toEqual([
      ['initiated', 'service:ci', reload.name],
      ['failed', 'service:ci', reload.name],
      ['initiated', 'service:scanner', factsPush.name],
      ['failed', 'service:scanner', factsPush.name],
    ]);
  });

  it('asks the permission policy for people, audits refusals and records changes with one actor name', async () => {
    const { app, auditor } = createApp();
    const member = await request(app)
      .post('/reload')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/liam.chen'),
      );
    expect(member.status).toBe(403);
    expect(member.body.error.message).toBe(
      'You are not allowed to reload policy packs (admins may) (forge.compliance.policy.reload)',
    );

    const daniel = await request(app)
      .post('/facts')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/daniel.moreau'),
      );
    expect(daniel.status).toBe(201);
    expect(auditor.events.map(e => [e.eventId, e.status, e.meta])).toEqual([
      [
        'permission-denied',
        'initiated',
        { permission: reload.name, actor: 'user:default/liam.chen' },
      ],
      [
        'permission-denied',
        'failed',
        { permission: reload.name, actor: 'user:default/liam.chen' },
      ],
      [
        'fact-push',
        'initiated',
        { fact: 'ci', actor: 'user:default/daniel.moreau' },
      ],
      [
        'fact-push',
        'succeeded',
        { fact: 'ci', actor: 'user:default/daniel.moreau', stored: true },
      ],
    ]);
  });

  it('refuses requests without credentials before any permission check', async () => {
    const { app, auditor } = createApp();
    const res = await request(app)
      .post('/facts')
      .set('authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
    expect(auditor.events).toEqual([]);
  });

  it('records a failed change with its error', async () => {
    const auditor = recordingAuditor();
    const guard = new ForgeGuard({
      httpAuth: mockServices.httpAuth({ pluginId: 'compliance' }),
      permissions: backstageLikePermissions(),
      auditor,
      services: ServicePermissions.fromMap({}),
    });
    const entry = {
      credentials: mockCredentials.user('user:default/daniel.moreau'),
      action: 'request-compliance-exemption',
    };
    await expect(
      guard.audited(
        entry,
        {
          eventId: 'exemption-request',
          permission: requestExemption,
          resourceRef: 'component:default/churn-model',
        },
        async () => {
          throw new Error('no such check');
        },
      ),
    ).rejects.toThrow('no such check');
    expect(auditor.events.map(e => [e.status, e.meta, e.error])).toEqual([
      [
        'initiated',
        {
          actor: 'user:default/daniel.moreau',
          action: 'request-compliance-exemption',
        },
        undefined,
      ],
      [
        'failed',
        {
          actor: 'user:default/daniel.moreau',
          action: 'request-compliance-exemption',
        },
        'no such check',
      ],
    ]);
  });

  it('names actions refused to an anonymous caller and to a service nobody listed', async () => {
    const auditor = recordingAuditor();
    const guard = new ForgeGuard({
      httpAuth: mockServices.httpAuth({ pluginId: 'compliance' }),
      permissions: backstageLikePermissions(),
      auditor,
      services: ServicePermissions.fromMap({}),
    });
    await expect(
      guard.authorize(
        { credentials: mockCredentials.none(), action: 'get-entity-scorecard' },
        reload,
      ),
    ).rejects.toThrow('get-entity-scorecard needs a signed-in caller');
    await expect(
      guard.authorize(
        {
          credentials: mockCredentials.service('plugin:catalog'),
          action: 'get-entity-scorecard',
        },
        reload,
      ),
    ).rejects.toThrow("The service 'plugin:catalog' may not");
    expect(auditor.events.at(-1)?.meta).toEqual({
      permission: reload.name,
      actor: 'service:plugin:catalog',
      action: 'get-entity-scorecard',
    });
  });

  it('refuses to check a resource permission without its resource', async () => {
    const { guard } = createApp();
    await expect(
      guard.authorize(
        {
          credentials: mockCredentials.user('user:default/daniel.moreau'),
          action: 'x',
        },
        requestExemption,
      ),
    ).rejects.toThrow('authorize it for a resourceRef');
  });

  describe('identity fields: who acts comes from the credentials only', () => {
    const daniel = mockCredentials.user.header('user:default/daniel.moreau');
    const scaffolder = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('plugin:scaffolder'),
      targetPluginId: 'compliance',
    });
    const refusals = (auditor: ReturnType<typeof recordingAuditor>) =>
      auditor.events
        .filter(e => e.eventId === 'identity-field-refused')
        .filter(e => e.status === 'failed')
        .map(e => [e.meta?.actor, e.meta?.fields, e.severityLevel]);

    it.each([
      [
        'the query string',
        '/reload?onBehalfOf=user:default/ceo',
        {},
        {},
        ['query.onBehalfOf'],
      ],
      [
        'a header',
        '/reload',
        { 'X-On-Behalf-Of': 'user:default/ceo' },
        {},
        ['header x-on-behalf-of'],
      ],
      [
        'a Forge-looking header',
        '/reload',
        { 'X-Forge-Actor': 'user:default/ceo' },
        {},
        ['header x-forge-actor'],
      ],
      [
        'a nested body field',
        '/reload',
        {},
        { a: { b: [{ requestedBy: 'user:default/ceo' }] } },
        ['body.a.b[0].requestedBy'],
      ],
      [
        'another letter case',
        '/reload',
        {},
        { ONBEHALFOF: 'user:default/ceo' },
        ['body.ONBEHALFOF'],
      ],
      [
        'another spelling',
        '/reload',
        {},
        { on_behalf_of: 'x', 'decided-by': 'y', Actor: 'z' },
        ['body.Actor', 'body.decided-by', 'body.on_behalf_of'],
      ],
      [
        'a route that does not take onBehalfOf',
        '/reload',
        {},
        { onBehalfOf: 'user:default/ceo' },
        ['body.onBehalfOf'],
      ],
    ])(
      'refuses and audits an identity field in %s (400)',
      async (_where, path, headers, body, fields) => {
        const { app, auditor } = createApp();
        const res = await request(app)
          .post(path)
          .set('authorization', daniel)
          .set(headers)
          .send(body);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(
          'Forge takes that only from your credentials',
        );
        expect(refusals(auditor)).toEqual([
          ['user:default/daniel.moreau', fields, 'high'],
        ]);
      },
    );

    it("takes onBehalfOf only from the scaffolder's own service, at the top of the body, where the route takes it", async () => {
      const { app, auditor } = createApp();
      const filed = await request(app)
        .post('/file')
        .set('authorization', scaffolder)
        .send({ onBehalfOf: 'user:default/mateo.garcia' });
      expect(filed.status).toBe(201);
      expect(filed.body).toEqual({
        by: 'service:plugin:scaffolder',
        for: 'user:default/mateo.garcia',
      });

      const person = await request(app)
        .post('/file')
        .set('authorization', daniel)
        .send({ onBehalfOf: 'user:default/mateo.garcia' });
      expect(person.status).toBe(403);
      expect(person.body.error.message).toContain('Only the Forge blueprints');

      // Even the scaffolder names the person only there, in that spelling, and only on a route that takes it.
      for (const [path, body] of [
        ['/file', { OnBehalfOf: 'user:default/mateo.garcia' }],
        [
          '/file',
          {
            onBehalfOf: 'user:default/x',
            nested: { requestedBy: 'user:default/y' },
          },
        ],
        ['/reload', { onBehalfOf: 'user:default/mateo.garcia' }],
      ] as const) {
        const res = await request(app)
          .post(path)
          .set('authorization', scaffolder)
          .send(body);
        expect([path, res.status]).toEqual([path, 400]);
      }
      expect(refusals(auditor)).toEqual([
        ['user:default/daniel.moreau', ['body.onBehalfOf'], 'high'],
        ['service:plugin:scaffolder', ['body.OnBehalfOf'], 'high'],
        ['service:plugin:scaffolder', ['body.nested.requestedBy'], 'high'],
        ['service:plugin:scaffolder', ['body.onBehalfOf'], 'high'],
      ]);
    });

    it("leaves free-form data alone (a CI run's own actor is a finding) and proxies' identity headers unread", async () => {
      const { app, auditor } = createApp();
      const res = await request(app)
        .post('/scan')
        .set('authorization', daniel)
        .set('X-Forwarded-User', 'someone-else')
        .send({ data: { actor: 'octocat', requestedBy: 'x' } });
      expect(res.status).toBe(201);
      expect(res.body.by).toBe('user:default/daniel.moreau');
      expect(refusals(auditor)).toEqual([]);
      const outside = await request(app)
        .post('/scan')
        .set('authorization', daniel)
        .send({ data: {}, meta: { actor: 'octocat' } });
      expect(outside.status).toBe(400);
    });

    it("refuses an identity field in an action's input, named with the action", async () => {
      const { guard, auditor } = createApp();
      await expect(
        guard.authorize(
          {
            credentials: mockCredentials.user('user:default/daniel.moreau'),
            action: 'request-compliance-exemption',
            input: {
              entityRef: 'component:default/x',
              onBehalfOf: 'user:default/ceo',
            },
          },
          reload,
        ),
      ).rejects.toThrow('onBehalfOf would name who acts or asked');
      expect(auditor.events.at(-1)?.meta).toEqual({
        permission: reload.name,
        fields: ['body.onBehalfOf'],
        actor: 'user:default/daniel.moreau',
        action: 'request-compliance-exemption',
      });
    });

    it("bounds an action's input in depth as every router bounds a body", async () => {
      const { guard } = createApp();
      let deep: unknown = 'x';
      for (let i = 0; i < 10_000; i++) deep = { deep };
      await expect(
        guard.authorize(
          {
            credentials: mockCredentials.user('user:default/daniel.moreau'),
            action: 'get-entity-scorecard',
            input: { entityRef: 'component:default/x', deep },
          },
          reload,
        ),
      ).rejects.toThrow(
        'The input of get-entity-scorecard nests JSON deeper than 32 levels',
      );
    });
  });
});
