// Projects created from a blueprint wait for their first CI evidence: the checks only CI can decide are pending for
// the grace period the policy pack gives them, counted from the chained gate record of the blueprint run that created
// the project, and fail when it ends, on the next scheduled run, even if nothing else changed.
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { SCAFFOLDER_SERVICE_ACTOR } from '@internal/plugin-forge-node';
import { Knex } from 'knex';
import path from 'node:path';
import { REPO_ROOT } from '../__testUtils__/catalog';
import { seedDemoFacts } from './demoFacts';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';

jest.setTimeout(60_000);

const NEW_PROJECT = 'component:default/lapse-predictor';

function newProject(): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'lapse-predictor',
      namespace: 'default',
      etag: 'v1',
      description:
        'Predicts which motor policies lapse at renewal so retention can call them first.',
      annotations: {
        'backstage.io/techdocs-ref': 'dir:.',
        'backstage.io/source-location':
          'url:https://git.example/lapse-predictor',
        'forge.io/blueprint': 'ml-training-pipeline@1.0.0',
        'forge.io/data-classification': 'confidential',
        'forge.io/contains-pii': 'false',
        'forge.io/region': 'eu-west-1',
        'forge.io/cost-center': 'CC-4111',
        'forge.io/cost-tags': 'forge-project=lapse-predictor',
        'forge.io/model-card': 'docs/model-card.md',
        'forge.io/model-stage': 'None',
        'forge.io/environment-request':
          'url:https://git.example/gitops/lapse-predictor',
      },
    },
    spec: {
      type: 'ml-pipeline',
      lifecycle: 'experimental',
      owner: 'group:default/retention-analytics',
      system: 'customer-retention',
      dependsOn: ['resource:default/policy-events-stream'],
    },
  };
}

const secretScan = (at: Date) => ({
  name: 'secret-scan',
  collectedAt: at.toISOString(),
  source: 'forge:evidence:collect (secretlint 13.1.0)',
  data: { leaks: 0 },
});

describe.each(testDatabases.eachSupportedId())(
  'grace periods of checks awaiting CI evidence (%s)',
  databaseId => {
    let knex: Knex;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      clock = testClock('2026-11-20T09:00:00.000Z');
      h = await createHarness(knex, { now: clock.now });
      // The blueprint the new project was created from, at its current version.
      h.catalog.entities.push({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: {
          name: 'ml-training-pipeline',
          namespace: 'default',
          etag: 'v1',
          annotations: { 'forge.io/blueprint-version': '1.0.0' },
        },
        spec: { type: 'ml', steps: [] },
      });
      // The demo projects' CI has reported: only the new project waits for evidence.
      await seedDemoFacts(
        h.store,
        path.join(REPO_ROOT, 'catalog/demo/facts.yaml'),
        clock.now(),
      );
      await h.compliance.evaluateAll();
    });
    afterEach(() => knex.destroy());

    const statusOf = async (checkId: string, entityRef = NEW_PROJECT) =>
      (await h.compliance.scorecard(entityRef)).results.find(
        r => r.checkId === checkId,
      );

    /** What the scaffolder records when the gate lets a blueprint run create the project (a chained record). */
    const createdByBlueprint = async (
      entityRef = NEW_PROJECT,
      decision: 'passed' | 'blocked' = 'passed',
    ) =>
      h.store.recordGateEvaluation(
        {
          entityRef,
          decision,
          evaluation: await h.compliance.dryRun(newProject(), 'request'),
          taskId: 'task-lapse-predictor',
          templateRef: 'template:default/ml-training-pipeline',
        },
        'plugin:scaffolder',
        clock.now().toISOString(),
      );

    it('keeps a new project pending, not failing, and fails it when the grace period ends though nothing changed', async () => {
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      expect(await h.compliance.evaluateChanged()).toEqual({ evaluated: 1 });
      await h.compliance.pushFact(
        NEW_PROJECT,
        secretScan(clock.now()),
        SCAFFOLDER_SERVICE_ACTOR,
      );

      const card = await h.compliance.scorecard(NEW_PROJECT);
      expect(card.score).toBe(100);
      expect([card.level, card.levelProvisional]).toEqual(['gold', true]);
      expect(card.pending).toBe(3);
      expect(card.nextDueAt).toBe('2026-11-27T09:00:00.000Z');
      expect(
        card.results
          .filter(r => r.status === 'pending')
          .map(r => [r.checkId, r.dueAt]),
      ).toEqual([
        ['security.no-critical-vulnerabilities', '2026-11-27T09:00:00.000Z'],
        ['security.dependency-scan-fresh', '2026-11-27T09:00:00.000Z'],
        ['ci.tests-passing', '2026-11-27T09:00:00.000Z'],
      ]);
      expect(card.controls.find(c => c.id === 'SA-11')?.status).toBe('pending');

      // On the dashboard it waits for evidence; it is not among the worst.
      const dashboard = await h.dashboard.dashboard({});
      expect(dashboard.worstEntities.map(e => e.entityRef)).not.toContain(
        NEW_PROJECT,
      );
      expect(dashboard.awaitingEvidence).toContainEqual({
        entityRef: NEW_PROJECT,
        ownerRef: 'group:default/retention-analytics',
        score: 100,
        level: 'gold',
        pending: 3,
        nextDueAt: '2026-11-27T09:00:00.000Z',
      });

      // Not yet due: the minutely run leaves it alone.
      clock.advance(167);
      expect(await h.compliance.evaluateChanged()).toEqual({ evaluated: 0 });
      expect((await statusOf('ci.tests-passing'))?.status).toBe('pending');

      // Due: the minutely run evaluates it again, and the owners hear of the critical check now failing.
      clock.advance(1);
      expect(await h.compliance.evaluateChanged()).toEqual({ evaluated: 1 });
      const ci = await statusOf('ci.tests-passing');
      expect(ci?.status).toBe('fail');
      expect(ci?.message).toMatch(
        /^No ci evidence arrived within the grace period that ended 2026-11-27T09:00:00.000Z\./,
      );
      expect((await h.compliance.scorecard(NEW_PROJECT)).pending).toBe(0);
      expect(
        h.notifier.sent
          .filter(n => n.type === 'regression')
          .map(n => (n.input as { checkId: string }).checkId),
      ).toEqual([
        'security.dependency-scan-fresh',
        'security.no-critical-vulnerabilities',
      ]);
      expect(await h.compliance.evaluateChanged()).toEqual({ evaluated: 0 });
    });

    it('decides a pending check as soon as its evidence arrives', async () => {
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      await h.compliance.pushFact(
        NEW_PROJECT,
        {
          name: 'ci',
          collectedAt: clock.now().toISOString(),
          data: { status: 'passing' },
        },
        'service:ci',
      );
      expect((await statusOf('ci.tests-passing'))?.status).toBe('pass');
      expect(
        (await statusOf('security.no-critical-vulnerabilities'))?.status,
      ).toBe('pending');
    });

    it('starts no new grace period when the project is edited, or deleted and registered again', async () => {
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      clock.advance(100);
      h.catalog.update(NEW_PROJECT, e => {
        e.metadata.annotations!['forge.io/created-at'] = clock
          .now()
          .toISOString();
      });
      await h.compliance.evaluateChanged();
      expect((await statusOf('ci.tests-passing'))?.dueAt).toBe(
        '2026-11-27T09:00:00.000Z',
      );

      h.catalog.entities = h.catalog.entities.filter(
        e => stringifyEntityRef(e) !== NEW_PROJECT,
      );
      await h.compliance.evaluateAll();
      clock.advance(10);
      h.catalog.entities.push({
        ...newProject(),
        metadata: { ...newProject().metadata, etag: 'v9' },
      });
      await h.compliance.evaluateChanged();
      expect((await statusOf('ci.tests-passing'))?.dueAt).toBe(
        '2026-11-27T09:00:00.000Z',
      );
    });

    it('keeps the grace period anchored at the gate record when the score history is deleted', async () => {
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      expect((await statusOf('ci.tests-passing'))?.status).toBe('pending');
      clock.advance(8 * 24);
      // compliance_summary_history is outside the chain: deleting it once anchored a new grace period.
      await knex('compliance_summary_history')
        .where({ entity_ref: NEW_PROJECT })
        .delete();
      await h.compliance.evaluateAll();
      const ci = await statusOf('ci.tests-passing');
      expect(ci?.status).toBe('fail');
      expect(ci?.message).toMatch(
        /grace period that ended 2026-11-27T09:00:00.000Z/,
      );
    });

    it('gives no grace to a component registered by hand with a blueprint annotation, renamed or moved after the run, or refused by the gate', async () => {
      // Registered by hand, claiming a blueprint: no blueprint run created it.
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      expect((await statusOf('ci.tests-passing'))?.status).toBe('fail');
      expect((await h.compliance.scorecard(NEW_PROJECT)).pending).toBe(0);

      // The run created component:default/lapse-predictor; the same project under another name or namespace, or a
      // request the gate refused, is not that project.
      await createdByBlueprint();
      await createdByBlueprint('component:default/lapse-refused', 'blocked');
      const as = (name: string, namespace = 'default') => ({
        ...newProject(),
        metadata: { ...newProject().metadata, name, namespace },
      });
      h.catalog.entities.push(
        as('lapse-predictor-v2'),
        as('lapse-predictor', 'retention'),
        as('lapse-refused'),
      );
      await h.compliance.evaluateChanged();
      for (const ref of [
        'component:default/lapse-predictor-v2',
        'component:retention/lapse-predictor',
        'component:default/lapse-refused',
      ])
        expect({
          ref,
          status: (await statusOf('ci.tests-passing', ref))?.status,
        }).toEqual({ ref, status: 'fail' });
    });

    it('neither anchors a grace period nor opens the evidence window for a blueprint run named like a project that already exists', async () => {
      // churn-model is retention-analytics' project, registered from catalog/ and scored since the start: another
      // team's member runs a blueprint named churn-model, and the gate records a pass for it (issue 10).
      const CHURN = 'component:default/churn-model';
      // Its CI has not reported yet.
      await knex('compliance_facts').where({ entity_ref: CHURN }).delete();
      await h.compliance.evaluateAll();
      const leaked = { ...secretScan(clock.now()), data: { leaks: 1 } };
      await h.compliance.pushFact(CHURN, leaked, 'service:ci');
      expect(
        (await statusOf('security.no-leaked-secrets', CHURN))?.status,
      ).toBe('fail');
      expect((await statusOf('ci.tests-passing', CHURN))?.status).toBe('fail');
      clock.advance(1);
      await createdByBlueprint(CHURN);
      await h.compliance.evaluateAll();
      // Its checks stay decided: nothing becomes pending...
      expect((await statusOf('ci.tests-passing', CHURN))?.status).toBe('fail');
      expect((await h.compliance.scorecard(CHURN)).pending).toBe(0);
      // ...and the scaffolder cannot leave the run's clean secret scan on it.
      await expect(
        h.compliance.pushFact(
          CHURN,
          secretScan(clock.now()),
          SCAFFOLDER_SERVICE_ACTOR,
        ),
      ).rejects.toThrow(
        /no blueprint run created component:default\/churn-model/,
      );
      expect(
        (await statusOf('security.no-leaked-secrets', CHURN))?.status,
      ).toBe('fail');
      // A project deleted from the catalog and created again by a blueprint run is a new project.
      h.catalog.entities = h.catalog.entities.filter(
        e => stringifyEntityRef(e) !== CHURN,
      );
      await h.compliance.evaluateAll();
      clock.advance(1);
      await createdByBlueprint(CHURN);
      h.catalog.entities.push({
        ...newProject(),
        metadata: { ...newProject().metadata, name: 'churn-model' },
      });
      await h.compliance.evaluateAll();
      expect((await statusOf('ci.tests-passing', CHURN))?.status).toBe(
        'pending',
      );
      await h.compliance.pushFact(
        CHURN,
        secretScan(clock.now()),
        SCAFFOLDER_SERVICE_ACTOR,
      );
    });

    it('anchors at the run that created the project when an earlier run passed the gate and failed after it', async () => {
      // Run 1 passed the gate, then publishing failed: no entity. The owner presses Start over 30 h later (issue 11).
      await createdByBlueprint();
      clock.advance(30);
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      // Run 2's hour: its secret scan is taken, and the grace period runs 168 h from run 2, not from run 1.
      await h.compliance.pushFact(
        NEW_PROJECT,
        secretScan(clock.now()),
        SCAFFOLDER_SERVICE_ACTOR,
      );
      expect((await statusOf('security.no-leaked-secrets'))?.status).toBe(
        'pass',
      );
      expect((await statusOf('ci.tests-passing'))?.dueAt).toBe(
        '2026-11-28T15:00:00.000Z',
      );
      // A third run named like the project, now that it exists, moves nothing.
      clock.advance(2);
      await createdByBlueprint();
      await h.compliance.evaluateAll();
      expect((await statusOf('ci.tests-passing'))?.dueAt).toBe(
        '2026-11-28T15:00:00.000Z',
      );
    });

    it('gives no grace to projects not created from a blueprint', async () => {
      const handMade = newProject();
      delete handMade.metadata.annotations!['forge.io/blueprint'];
      h.catalog.entities.push(handMade);
      await h.compliance.evaluateChanged();
      expect((await statusOf('ci.tests-passing'))?.status).toBe('fail');
    });

    it('lets the blueprints leave evidence for the project they just created, and for no other', async () => {
      clock.advance(2);
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      await h.compliance.pushFact(
        NEW_PROJECT,
        secretScan(clock.now()),
        SCAFFOLDER_SERVICE_ACTOR,
      );
      // Compliance first saw churn-model this very hour, but no blueprint run created it.
      await expect(
        h.compliance.pushFact(
          'component:default/churn-model',
          secretScan(clock.now()),
          SCAFFOLDER_SERVICE_ACTOR,
        ),
      ).rejects.toThrow(
        'The blueprints may leave evidence only for a project they just created, and no blueprint run created component:default/churn-model (the history holds no passed gate evaluation of a scaffolder task for it): its evidence comes from CI, with its own token',
      );
      clock.advance(0.99);
      await h.compliance.pushFact(
        NEW_PROJECT,
        secretScan(clock.now()),
        SCAFFOLDER_SERVICE_ACTOR,
      );
      clock.advance(0.02);
      await expect(
        h.compliance.pushFact(
          NEW_PROJECT,
          secretScan(clock.now()),
          SCAFFOLDER_SERVICE_ACTOR,
        ),
      ).rejects.toThrow(
        'The blueprints may leave evidence only within an hour of creating a project; component:default/lapse-predictor was created by a blueprint run at 2026-11-20T11:00:00.000Z: its evidence now comes from CI, with its own token',
      );
      // CI may report at any time.
      await expect(
        h.compliance.pushFact(
          NEW_PROJECT,
          secretScan(clock.now()),
          'service:ci',
        ),
      ).resolves.toBeDefined();
    });

    it('does not open the window again when the score history is deleted', async () => {
      await createdByBlueprint();
      h.catalog.entities.push(newProject());
      await h.compliance.evaluateChanged();
      clock.advance(24 * 90);
      await h.compliance.evaluateAll();
      // Months later, whoever holds the database deletes the project's score history (outside the chain)...
      expect(
        await knex('compliance_summary_history')
          .where({ entity_ref: NEW_PROJECT })
          .delete(),
      ).toBeGreaterThan(0);
      expect(
        (await h.store.firstEvaluatedAt([NEW_PROJECT])).has(NEW_PROJECT),
      ).toBe(false);
      // ...and the scaffolder token still cannot overwrite its secret scan.
      await expect(
        h.compliance.pushFact(
          NEW_PROJECT,
          { ...secretScan(clock.now()), data: { leaks: 0, forged: true } },
          SCAFFOLDER_SERVICE_ACTOR,
        ),
      ).rejects.toThrow(
        'The blueprints may leave evidence only within an hour of creating a project; component:default/lapse-predictor was created by a blueprint run at 2026-11-20T09:00:00.000Z',
      );
      const stored = await knex('compliance_facts').where({
        entity_ref: NEW_PROJECT,
        name: 'secret-scan',
      });
      expect(stored).toEqual([]);
      // A project without any blueprint run behind it, with its score history deleted, is refused too.
      await knex('compliance_summary_history')
        .where({ entity_ref: 'component:default/churn-model' })
        .delete();
      await expect(
        h.compliance.pushFact(
          'component:default/churn-model',
          secretScan(clock.now()),
          SCAFFOLDER_SERVICE_ACTOR,
        ),
      ).rejects.toThrow(
        /no blueprint run created component:default\/churn-model/,
      );
    });
  },
);
