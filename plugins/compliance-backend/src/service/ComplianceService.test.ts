import { Knex } from 'knex';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';

jest.setTimeout(60_000);

describe.each(testDatabases.eachSupportedId())(
  'ComplianceService (%s)',
  databaseId => {
    let knex: Knex;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      clock = testClock();
      h = await createHarness(knex, { now: clock.now });
    });
    afterEach(() => knex.destroy());

    it('evaluates every demo entity and explains what fails and how to fix it', async () => {
      const result = await h.compliance.evaluateAll();
      expect(result.evaluated).toBe(h.catalog.entities.length);
      const card = await h.compliance.scorecard(
        'component:default/claims-fraud-features',
      );
      const region = card.results.find(
        r => r.checkId === 'data.restricted-in-approved-region',
      )!;
      expect(region.status).toBe('fail');
      expect(region.title).toBe('Restricted data only in approved regions');
      expect(region.remediation).toMatch(/eu-west-1 or eu-central-1/);
      expect(card.results[0].status).toBe('fail');
      expect(card.controls.find(c => c.id === 'AC-4')).toEqual(
        expect.objectContaining({
          framework: 'NIST-800-53',
          family: 'AC',
          status: 'fail',
        }),
      );
      expect(card.level).toBe('none');
    });

    it('adds no history when nothing changed, however often it runs', async () => {
      await h.compliance.evaluateAll();
      const rows = await h.store.countHistory();
      for (let i = 0; i < 5; i++) {
        clock.advance(24);
        await h.compliance.evaluateAll();
      }
      expect(await h.store.countHistory()).toBe(rows);
    });

    it('re-evaluates only entities whose catalog entry changed, and tells the owners about a severe regression', async () => {
      await h.compliance.evaluateAll();
      expect(await h.compliance.evaluateChanged()).toEqual({ evaluated: 0 });
      // churn-model holds restricted data: moving it to us-east-1 turns a critical check from pass to fail,
      // which is announced to the owning group.
      h.catalog.update('component:default/churn-model', e => {
        e.metadata.annotations!['forge.io/region'] = 'us-east-1';
      });
      clock.advance(1);
      expect(await h.compliance.evaluateChanged()).toEqual({ evaluated: 1 });
      const card = await h.compliance.scorecard(
        'component:default/churn-model',
      );
      expect(
        card.results.find(
          r => r.checkId === 'data.restricted-in-approved-region',
        )?.status,
      ).toBe('fail');
      expect(h.notifier.sent).toEqual([
        expect.objectContaining({
          type: 'regression',
          to: 'group:default/retention-analytics',
        }),
      ]);

      // Still failing after the next change: no second notification; a low-severity regression: none either.
      h.catalog.update('component:default/churn-model', e => {
        e.metadata.annotations!['forge.io/region'] = 'ap-south-1';
        e.metadata.description = 'short';
      });
      await h.compliance.evaluateChanged();
      expect(h.notifier.sent).toHaveLength(1);
    });

    it('answers as of a past date', async () => {
      await h.compliance.evaluateAll();
      const before = clock.now();
      clock.advance(48);
      h.catalog.update('component:default/claims-fraud-features', e => {
        e.metadata.annotations!['forge.io/region'] = 'eu-west-1';
      });
      await h.compliance.evaluateChanged();
      const now = await h.compliance.scorecard(
        'component:default/claims-fraud-features',
      );
      const then = await h.compliance.scorecard(
        'component:default/claims-fraud-features',
        new Date(before.getTime() + 1000),
      );
      const status = (c: typeof now) =>
        c.results.find(r => r.checkId === 'data.restricted-in-approved-region')
          ?.status;
      expect(status(now)).toBe('pass');
      expect(status(then)).toBe('fail');
      expect(then.score).toBeLessThan(now.score);
      await expect(
        h.compliance.scorecard(
          'component:default/claims-fraud-features',
          new Date('2020-01-01'),
        ),
      ).rejects.toThrow(/No compliance results/);
    });

    it('stores a pushed fact and re-evaluates; an unknown entity stores nothing', async () => {
      await h.compliance.evaluateAll();
      const fact = {
        name: 'dependency-scan',
        collectedAt: clock.now().toISOString(),
        source: 'ci',
        data: { critical: 0, high: 1 },
      };
      const evaluation = await h.compliance.pushFact(
        'component:default/churn-model',
        fact,
        'service:ci',
      );
      expect(
        evaluation.results.find(
          r => r.checkId === 'security.dependency-scan-fresh',
        )?.status,
      ).toBe('pass');
      await expect(
        h.compliance.pushFact('component:default/nope', fact, 'service:ci'),
      ).rejects.toThrow(/No entity/);
      expect((await h.store.listFacts()).has('component:default/nope')).toBe(
        false,
      );
    });

    it('adds no history for a fact push that changes no result: a new scan with the same verdicts, or the same scan again', async () => {
      await h.compliance.evaluateAll();
      const entityRef = 'component:default/churn-model';
      const scan = (data: Record<string, number>) => ({
        name: 'dependency-scan',
        collectedAt: clock.now().toISOString(),
        source: 'ci',
        data,
      });
      await h.compliance.pushFact(
        entityRef,
        scan({ critical: 0, high: 1 }),
        'service:ci',
      );
      const rows = await h.store.countHistory();

      // The next day's scan finds other counts but every verdict stays; then CI sends the same scan twice.
      clock.advance(24);
      await h.compliance.pushFact(
        entityRef,
        scan({ critical: 0, high: 2, medium: 7 }),
        'service:ci',
      );
      await h.compliance.pushFact(
        entityRef,
        scan({ critical: 0, high: 2, medium: 7 }),
        'service:ci',
      );
      clock.advance(1);
      await h.compliance.pushFact(
        entityRef,
        scan({ critical: 0, high: 2, medium: 7 }),
        'service:ci',
      );
      expect(await h.store.countHistory()).toBe(rows);

      // A scan that changes a verdict is recorded: that one change, nothing else.
      await h.compliance.pushFact(
        entityRef,
        scan({ critical: 1, high: 2 }),
        'service:ci',
      );
      const added = (await h.store.listHistory(entityRef, 10)).filter(
        e => e.recordedAt === clock.now().toISOString(),
      );
      expect(added.map(e => [e.checkId, e.previousStatus, e.status])).toEqual([
        ['security.no-critical-vulnerabilities', 'pass', 'fail'],
      ]);
      expect(await h.store.countHistory()).toBe(rows + 1);
      expect((await h.history.verify()).ok).toBe(true);
    });

    it('evaluates a posted document without storing it', async () => {
      const doc = {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'brand-new',
          annotations: { 'forge.io/data-classification': 'internal' },
        },
        spec: {
          type: 'ml-pipeline',
          lifecycle: 'experimental',
          owner: 'retention-analytics',
          dependsOn: ['resource:policyholder-dataset'],
        },
      };
      const evaluation = await h.compliance.dryRun(doc, 'request');
      expect(
        evaluation.results.find(
          r => r.checkId === 'data.classification-covers-sources',
        )?.status,
      ).toBe('fail');
      expect(
        evaluation.results.find(r => r.checkId === 'ownership.group-exists')
          ?.status,
      ).toBe('pass');
      expect(
        await h.store.getSummary('component:default/brand-new'),
      ).toBeUndefined();
    });

    it('closes entities that left the catalog', async () => {
      await h.compliance.evaluateAll();
      h.catalog.entities = h.catalog.entities.filter(
        e => e.metadata.name !== 'lapse-report-legacy',
      );
      const result = await h.compliance.evaluateAll();
      expect(result.removed).toBe(1);
      await expect(
        h.compliance.scorecard('component:default/lapse-report-legacy'),
      ).rejects.toThrow(/not been evaluated/);
    });
  },
);
