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
    services: ServicePermissions.fromMap({ ci: [factsPush.name] }),
  });
  const router = Router();
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
});
