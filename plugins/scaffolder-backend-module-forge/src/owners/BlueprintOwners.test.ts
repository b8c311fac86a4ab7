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
import { createForgeCostEstimateAction } from '../actions/forgeCostEstimate';
import { createForgePublishAction } from '../actions/forgePublish';
import { CatalogGroupBudgets } from '../cost/GroupBudgets';
import { createForgePublishPlanAction } from '../actions/forgePublishPlan';
import { LocalGitPublisher } from '../publish/LocalGitPublisher';
import {
  actionContext,
  demoCatalog,
  outputOf,
  projectCatalogInfo,
  RecordingAuditor,
  testSettings,
} from '../__testUtils__';
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

  it('refuses a cost center of a team the person may not own projects for, naming theirs and who can change it', async () => {
    // Issue 11: a Fraud Science member charging Retention Analytics' cost center.
    await expect(
      owners.assertMayCharge('CC-4111', as('mateo.garcia'), 'user:default/mateo.garcia', {
        action: 'forge:cost:estimate',
        owner: 'fraud-science',
      }),
    ).rejects.toThrow(
      'user:default/mateo.garcia may not charge cost center CC-4111: a project is billed to the cost center of one of ' +
        "your own teams or the teams below them. You may charge CC-4121 (Fraud Science); leave the cost center empty to charge the owning team's. " +
        'Only a platform admin (Platform Admins, platform-admins@meridian-mutual.example) can charge another cost ' +
        "center: ask them to create the project for CC-4111, or to change your team's forge.io/cost-center in the catalog.",
    );
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'blueprint-cost-center-refused',
        outcome: 'fail',
        meta: expect.objectContaining({
          actor: 'user:default/mateo.garcia',
          action: 'forge:cost:estimate',
          costCenter: 'CC-4111',
          owner: 'group:default/fraud-science',
        }),
      }),
    ]);
    // Not the department above one's team either.
    await expect(
      owners.assertMayCharge('CC-4110', as('guest'), 'user:default/guest', { action: 'x' }),
    ).rejects.toThrow('You may charge CC-4111 (Retention Analytics)');
    // Nested: a lead may charge the teams below theirs; an admin any cost center.
    await expect(
      owners.assertMayCharge('CC-4111', as('amara.okafor'), 'user:default/amara.okafor', { action: 'x' }),
    ).resolves.toBeUndefined();
    await expect(
      owners.assertMayCharge('CC-4122', as('priya.raman'), 'user:default/priya.raman', { action: 'x' }),
    ).resolves.toBeUndefined();
    await expect(owners.assertMayCharge('CC-9999', as('noah.kim'), 'user:default/noah.kim', { action: 'x' })).resolves.toBeUndefined();
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

    it('forge:cost:estimate refuses a cost center the person may not charge, before estimating', async () => {
      const action = createForgeCostEstimateAction({
        settings: testSettings({ dataDir: root }),
        budgets: new CatalogGroupBudgets(demoCatalog()),
        auditor,
        owners,
      });
      const own = { owner: 'group:default/fraud-science', compute: [{ name: 'job', profile: 'small' }] };
      const refused = contextOf('mateo.garcia', { ...own, costCenter: 'CC-4111' });
      await expect(action.handler(refused)).rejects.toThrow(
        'user:default/mateo.garcia may not charge cost center CC-4111',
      );
      expect(outputOf(refused, 'costCenter')).toBeUndefined();
      expect(auditor.events.map(e => e.eventId)).toEqual(['blueprint-cost-center-refused']);

      // Their own team's, entered or left empty, and a team below theirs for a lead.
      for (const [user, input, charged] of [
        ['mateo.garcia', { ...own, costCenter: 'CC-4121' }, 'CC-4121'],
        ['mateo.garcia', own, 'CC-4121'],
        ['priya.raman', { ...own, costCenter: 'CC-4122' }, 'CC-4122'],
        ['noah.kim', { ...own, costCenter: 'CC-4111' }, 'CC-4111'],
      ] as const) {
        const ctx = contextOf(user, input);
        await action.handler(ctx);
        expect(outputOf(ctx, 'costCenter')).toBe(charged);
      }
      // The review page's dry run goes with the scaffolder's token: the preview decides for the person (below).
      const byService = Object.assign(actionContext({ input: { ...own, costCenter: 'CC-4111' }, isDryRun: true, user: {} }), {
        getInitiatorCredentials: async () => mockCredentials.service('plugin:scaffolder') as BackstageCredentials,
      });
      await action.handler(byService);
      expect(outputOf(byService, 'costCenter')).toBe('CC-4111');
    });

    it('forge:publish refuses a forge.io/cost-center the person may not charge in the files it publishes', async () => {
      const dataDir = path.join(root, 'data');
      const settings = testSettings({ dataDir });
      const action = createForgePublishAction({
        settings,
        publishers: { local: new LocalGitPublisher({ settings: settings.publish, dataDir, author: settings.gitAuthor }) },
        auditor,
        owners,
      });
      const workspace = path.join(root, 'workspace');
      const render = (costCenter: string) =>
        fs.writeFileSync(
          path.join(workspace, 'catalog-info.yaml'),
          projectCatalogInfo({
            name: 'fraud-features',
            owner: 'group:default/fraud-science',
            annotations: { 'forge.io/cost-center': costCenter },
          }),
        );
      const input = { target: 'project', name: 'fraud-features', owner: 'fraud-science', description: 'Features.' };

      // A template that skips forge:cost:estimate and writes another department's cost center itself.
      render('CC-4111');
      await expect(action.handler(contextOf('mateo.garcia', input))).rejects.toThrow(
        'user:default/mateo.garcia may not charge cost center CC-4111',
      );
      expect(fs.existsSync(path.join(dataDir, 'git'))).toBe(false);

      // Nor in another entity file a Location could point the catalog at.
      render('CC-4121');
      fs.mkdirSync(path.join(workspace, 'catalog'));
      fs.writeFileSync(
        path.join(workspace, 'catalog/extra.yaml'),
        'kind: Resource\nmetadata:\n  name: extra\n  annotations:\n    forge.io/cost-center: CC-9200\n',
      );
      await expect(action.handler(contextOf('mateo.garcia', input))).rejects.toThrow(
        'user:default/mateo.garcia may not charge cost center CC-9200',
      );
      expect(fs.existsSync(path.join(dataDir, 'git'))).toBe(false);
      expect(auditor.events.map(e => e.eventId)).toEqual(['blueprint-cost-center-refused', 'blueprint-cost-center-refused']);

      // Their own team's cost center is published.
      fs.rmSync(path.join(workspace, 'catalog'), { recursive: true });
      await action.handler(contextOf('mateo.garcia', input));
      expect(fs.existsSync(path.join(dataDir, 'git/fraud-science/fraud-features.git/HEAD'))).toBe(true);
    });

    it('forge:publish lets an admin publish with any cost center', async () => {
      const dataDir = path.join(root, 'data');
      const settings = testSettings({ dataDir });
      const action = createForgePublishAction({
        settings,
        publishers: { local: new LocalGitPublisher({ settings: settings.publish, dataDir, author: settings.gitAuthor }) },
        auditor,
        owners,
      });
      fs.writeFileSync(
        path.join(root, 'workspace/catalog-info.yaml'),
        projectCatalogInfo({ name: 'fraud-features', owner: 'group:default/fraud-science' }),
      );
      const input = { target: 'project', name: 'fraud-features', owner: 'fraud-science', description: 'Features.' };
      await action.handler(contextOf('noah.kim', input));
      expect(fs.existsSync(path.join(dataDir, 'git/fraud-science/fraud-features.git/HEAD'))).toBe(true);
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

  it('POST /forge/preview decides a cost center for the person before the dry run, as forge:cost:estimate would', async () => {
    const previews: unknown[] = [];
    const preview = {
      preview: async (...args: unknown[]) => {
        previews.push(args);
        return { preview: {} };
      },
    } as unknown as BlueprintPreview;
    const app = express()
      .use(createPreviewRouter({ preview, guard, owners }))
      .use(mockErrorHandler());
    const body = (costCenter: string) => ({
      templateRef: 'template:default/dbt-analytics',
      values: { name: 'marts', owner: 'group:default/customer-analytics', costCenter },
    });
    // Amara Okafor leads Customer Analytics (CC-4110) and Retention Analytics below it (CC-4111).
    const refused = await request(app).post('/forge/preview').send(body('CC-4121'));
    expect(refused.status).toBe(200);
    expect(refused.body.stoppedBy).toEqual({
      step: 'forge:cost:estimate',
      message: expect.stringMatching(
        /^forge:cost:estimate: user:default\/amara\.okafor may not charge cost center CC-4121: .* You may charge CC-4110 \(Customer Analytics\), CC-4111 \(Retention Analytics\); .* Only a platform admin \(Platform Admins, /,
      ),
    });
    expect(previews).toHaveLength(0);
    expect(auditor.events.map(e => e.eventId)).toContain('blueprint-cost-center-refused');

    const allowed = await request(app).post('/forge/preview').send(body('CC-4111'));
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
