import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { BackstageCredentials, PermissionsService } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createForgePublishAction } from '../actions/forgePublish';
import { createForgePublishPlanAction } from '../actions/forgePublishPlan';
import { LocalGitPublisher } from '../publish/LocalGitPublisher';
import { actionContext, demoCatalog, outputOf, RecordingAuditor, testSettings } from '../__testUtils__';
import { ForgeGuard, ServicePermissions } from '@internal/plugin-forge-node';
import { BlueprintOwners, blueprintOwnerAnyPermission } from './BlueprintOwners';
import { createOwnersRouter } from './createOwnersRouter';
import { BlueprintPreview } from '../preview/BlueprintPreview';
import { createPreviewRouter } from '../preview/createPreviewRouter';

/**
 * The permission decision of the Forge policy for forge.blueprint.owner.any: not in its rules table, so reserved to
 * admins (packages/backend/src/modules/permissions); here Noah Kim is the admin of the demo organisation. Everyone
 * may run blueprints (scaffolder.task.create).
 */
const policy: PermissionsService = {
  async authorize(requests, { credentials }) {
    const user = (credentials.principal as { userEntityRef?: string }).userEntityRef;
    return requests.map(r => ({
      result:
        r.permission.name === 'scaffolder.task.create' ||
        (r.permission.name === blueprintOwnerAnyPermission.name && user === 'user:default/noah.kim')
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    }));
  },
  async authorizeConditional() {
    throw new Error('not used');
  },
};

const as = (user: string) => mockCredentials.user(`user:default/${user}`) as BackstageCredentials;

describe('BlueprintOwners', () => {
  let auditor: RecordingAuditor;
  let owners: BlueprintOwners;
  let guard: ForgeGuard;
  beforeEach(() => {
    auditor = new RecordingAuditor();
    guard = new ForgeGuard({
      httpAuth: mockServices.httpAuth({ defaultCredentials: mockCredentials.user('user:default/amara.okafor') }),
      permissions: policy,
      auditor,
      services: ServicePermissions.fromMap({}),
    });
    owners = new BlueprintOwners({
      catalog: demoCatalog(),
      guard,
      adminGroups: ['group:default/platform-admins'],
    });
  });

  const refs = async (user: string) =>
    (await owners.choices(as(user), `user:default/${user}`)).groups.map(g => g.ref.replace('group:default/', ''));

  it('offers a member their own team only, not the department above it', async () => {
    expect(await refs('guest')).toEqual(['retention-analytics']);
    expect(await refs('mateo.garcia')).toEqual(['fraud-science']);
  });

  it('offers a team lead their team and every team below it', async () => {
    expect(await refs('amara.okafor')).toEqual(['customer-analytics', 'retention-analytics']);
    expect(await refs('priya.raman')).toEqual(['data-science', 'fraud-science', 'pricing-science']);
  });

  it('offers admins every team, with cost centers and who can add a missing one', async () => {
    const choices = await owners.choices(as('noah.kim'), 'user:default/noah.kim');
    expect(choices.anyGroup).toBe(true);
    expect(choices.groups).toHaveLength(15);
    expect(choices.groups.find(g => g.ref === 'group:default/grc-office')).toEqual({
      ref: 'group:default/grc-office',
      title: 'GRC Office',
      parent: 'group:default/compliance-risk',
      costCenter: undefined,
    });
    expect(choices.costCenterContact).toEqual({
      ref: 'group:default/platform-admins',
      title: 'Platform Admins',
      email: 'platform-admins@meridian-mutual.example',
    });
  });

  it('refuses another team with the teams the person may choose, and audits the refusal', async () => {
    await expect(
      owners.assertMayOwn('group:default/data-analytics', as('guest'), 'user:default/guest', { action: 'forge:publish' }),
    ).rejects.toThrow(
      'user:default/guest may not create a project owned by group:default/data-analytics: projects are owned by, and ' +
        'billed to, your own teams or the teams below them. Choose one of Retention Analytics ' +
        '(group:default/retention-analytics), or ask a platform admin to create it for group:default/data-analytics.',
    );
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'blueprint-owner-refused',
        outcome: 'fail',
        meta: expect.objectContaining({ actor: 'user:default/guest', action: 'forge:publish' }),
      }),
    ]);
    await expect(
      owners.assertMayOwn('retention-analytics', as('amara.okafor'), 'user:default/amara.okafor', { action: 'x' }),
    ).resolves.toBeUndefined();
  });

  describe('in the blueprint steps', () => {
    let root: string;
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-owners-'));
      fs.mkdirSync(path.join(root, 'workspace/docs'), { recursive: true });
      fs.writeFileSync(path.join(root, 'workspace/catalog-info.yaml'), 'kind: Component\n');
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    function contextOf(user: string, input: Record<string, unknown>) {
      const ctx = actionContext({ input, workspacePath: path.join(root, 'workspace'), user: { ref: `user:default/${user}` } });
      return Object.assign(ctx, { getInitiatorCredentials: async () => as(user) });
    }

    it('forge:publish:plan stops a member choosing a team that is not theirs, as the first step', async () => {
      const action = createForgePublishPlanAction({ settings: testSettings({ dataDir: root }), owners });
      const ctx = contextOf('guest', { name: 'fraud-features', owner: 'group:default/fraud-science' });
      await expect(action.handler(ctx)).rejects.toThrow('may not create a project owned by group:default/fraud-science');
      expect(outputOf(ctx, 'repository')).toBeUndefined();

      const allowed = contextOf('priya.raman', { name: 'fraud-features', owner: 'group:default/fraud-science' });
      await action.handler(allowed);
      expect(outputOf(allowed, 'repository')).toBe('fraud-science/fraud-features');
    });

    it('a dry run started by a service (the review page’s preview) is left to the preview; a real one is decided', async () => {
      const action = createForgePublishPlanAction({ settings: testSettings({ dataDir: root }), owners });
      const input = { name: 'grc-dashboards', owner: 'group:default/grc-office' };
      const byService = (isDryRun: boolean) =>
        Object.assign(actionContext({ input, isDryRun, user: {} }), {
          getInitiatorCredentials: async () => mockCredentials.service('plugin:scaffolder') as BackstageCredentials,
        });
      const dry = byService(true);
      await action.handler(dry);
      expect(outputOf(dry, 'repository')).toBe('grc-office/grc-dashboards');
      await expect(action.handler(byService(false))).rejects.toThrow(
        'may not create a project owned by group:default/grc-office',
      );
      // A person's dry run is decided as their run would be.
      const personDry = Object.assign(contextOf('guest', input), { isDryRun: true });
      await expect(action.handler(personDry)).rejects.toThrow('may not create a project owned by group:default/grc-office');
    });

    it('forge:publish publishes nothing for such an owner, whatever the template says', async () => {
      const dataDir = path.join(root, 'data');
      const settings = testSettings({ dataDir });
      const action = createForgePublishAction({
        settings,
        publishers: { local: new LocalGitPublisher({ settings: settings.publish, dataDir, author: settings.gitAuthor }) },
        auditor,
        owners,
      });
      const input = { target: 'project', name: 'grc-dashboards', owner: 'grc-office', description: 'Dashboards.' };
      await expect(action.handler(contextOf('guest', input))).rejects.toThrow(
        'may not create a project owned by group:default/grc-office',
      );
      expect(fs.existsSync(path.join(dataDir, 'git'))).toBe(false);
      // An admin may.
      await action.handler(contextOf('noah.kim', input));
      expect(fs.existsSync(path.join(dataDir, 'git/grc-office/grc-dashboards.git/HEAD'))).toBe(true);
    });
  });

  it('POST /forge/preview decides the owner for the person before the dry run, as the step would', async () => {
    const previews: unknown[] = [];
    // The dry run itself needs a running scaffolder; these requests must be answered before it.
    const preview = {
      preview: async (...args: unknown[]) => {
        previews.push(args);
        return { preview: {} };
      },
    } as unknown as BlueprintPreview;
    const app = express()
      .use(createPreviewRouter({ preview, guard, owners }))
      .use(mockErrorHandler());
    const body = (owner: string) => ({
      templateRef: 'template:default/dbt-analytics',
      values: { name: 'marts', owner },
    });
    const refused = await request(app).post('/forge/preview').send(body('group:default/grc-office'));
    expect(refused.status).toBe(200);
    expect(refused.body.stoppedBy).toEqual({
      step: 'forge:publish:plan',
      message: expect.stringMatching(
        /^forge:publish:plan: user:default\/amara\.okafor may not create a project owned by group:default\/grc-office/,
      ),
    });
    expect(previews).toHaveLength(0);
    expect(auditor.events.map(e => e.eventId)).toContain('blueprint-owner-refused');

    const allowed = await request(app).post('/forge/preview').send(body('group:default/retention-analytics'));
    expect(allowed.body).toEqual({ preview: {} });
    expect(previews).toHaveLength(1);
  });

  it('GET /forge/owners answers the signed-in person', async () => {
    const app = express()
      .use(
        createOwnersRouter({ owners, guard }),
      )
      .use(mockErrorHandler());
    const res = await request(app).get('/forge/owners');
    expect(res.status).toBe(200);
    expect(res.body.anyGroup).toBe(false);
    expect(res.body.groups.map((g: { title: string }) => g.title)).toEqual(['Customer Analytics', 'Retention Analytics']);
    const anonymous = await request(app).get('/forge/owners').set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  });

  it('GET /forge/owners goes through the guard: a service is refused and the refusal audited under its name', async () => {
    const app = express().use(createOwnersRouter({ owners, guard })).use(mockErrorHandler());
    const res = await request(app)
      .get('/forge/owners')
      .set('Authorization', mockCredentials.service.header({ onBehalfOf: mockCredentials.service('plugin:catalog'), targetPluginId: 'test' }));
    expect(res.status).toBe(403);
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'permission-denied',
        outcome: 'fail',
        meta: expect.objectContaining({ actor: 'service:plugin:catalog', permission: 'scaffolder.task.create' }),
      }),
    ]);
  });
});
