import vm from 'node:vm';
import fc from 'fast-check';
import { Entity } from '@backstage/catalog-model';
import { PolicyEvaluator } from './evaluator';
import {
  compliantProject,
  environment,
  freshFacts,
  loadBaselinePack,
  policyholderDataset,
} from './testData';

const pack = loadBaselinePack();
const evaluator = PolicyEvaluator.fromPacks([pack]);
const now = new Date('2026-11-26T12:00:00Z');

function evaluate(
  entity: Entity,
  extra: Partial<Parameters<PolicyEvaluator['evaluate']>[0]> = {},
) {
  return evaluator.evaluate(
    {
      entity,
      related: [policyholderDataset],
      facts: freshFacts(now),
      now,
      ...extra,
    },
    environment,
  );
}

const statusOf = (evaluation: ReturnType<typeof evaluate>, checkId: string) =>
  evaluation.results.find(r => r.checkId === checkId)?.status;

describe('PolicyEvaluator with the baseline pack', () => {
  it('gives a project that does everything right a full score, gold and passing controls', () => {
    const result = evaluate(compliantProject());
    const failing = result.results.filter(
      r => r.status === 'fail' || r.status === 'error',
    );
    expect(failing).toEqual([]);
    expect(result.score).toBe(100);
    expect(result.level).toBe('gold');
    expect(result.controls['RA-5']).toBe('pass');
    expect(result.controls['SI-12']).toBe('not_applicable');
  });

  it('fails a project classified lower than its sources, with the fix', () => {
    const result = evaluate(
      compliantProject({
        annotations: {
          ...compliantProject().metadata.annotations,
          'forge.io/data-classification': 'internal',
        },
      }),
    );
    const check = result.results.find(
      r => r.checkId === 'data.classification-covers-sources',
    )!;
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/at least the highest classification/);
    expect(statusOf(result, 'data.pii-classified')).toBe('fail');
    expect(result.level).toBe('none');
    expect(result.controls['RA-2']).toBe('fail');
    expect(result.score).toBeLessThan(100);
  });

  it('fails restricted data outside approved regions and passes it inside', () => {
    const base = compliantProject().metadata.annotations!;
    const outside = evaluate(
      compliantProject({
        annotations: {
          ...base,
          'forge.io/data-classification': 'restricted',
          'forge.io/region': 'us-east-1',
        },
      }),
    );
    expect(statusOf(outside, 'data.restricted-in-approved-region')).toBe(
      'fail',
    );
    const inside = evaluate(
      compliantProject({
        annotations: {
          ...base,
          'forge.io/data-classification': 'restricted',
          'forge.io/region': 'eu-central-1',
        },
      }),
    );
    expect(statusOf(inside, 'data.restricted-in-approved-region')).toBe('pass');
  });

  it('requires fresh scan facts with no critical findings', () => {
    const stale = [
      {
        name: 'dependency-scan',
        collectedAt: '2026-11-01T00:00:00Z',
        data: { critical: 0, high: 0 },
      },
    ];
    expect(
      statusOf(
        evaluate(compliantProject(), { facts: stale }),
        'security.dependency-scan-fresh',
      ),
    ).toBe('fail');
    const critical = [
      {
        name: 'dependency-scan',
        collectedAt: now.toISOString(),
        data: { critical: 2, high: 0 },
      },
    ];
    expect(
      statusOf(
        evaluate(compliantProject(), { facts: critical }),
        'security.no-critical-vulnerabilities',
      ),
    ).toBe('fail');
    expect(
      statusOf(
        evaluate(compliantProject(), { facts: [] }),
        'security.no-critical-vulnerabilities',
      ),
    ).toBe('fail');
  });

  it('reads fact times in every RFC 3339 form CI sends (microseconds, offsets), not only the one CEL parses', () => {
    // Python's datetime.isoformat(): microseconds and +00:00, 32 characters; and a local offset.
    for (const collectedAt of [
      '2026-11-25T12:00:00.123456+00:00',
      '2026-11-25T14:00:00.5+02:00',
      '2026-11-25t12:00:00z',
    ]) {
      const facts = freshFacts(now).map(f => ({ ...f, collectedAt }));
      const result = evaluate(compliantProject(), { facts });
      expect(statusOf(result, 'security.dependency-scan-fresh')).toBe('pass');
      expect(statusOf(result, 'ci.tests-passing')).toBe('pass');
      expect(result.score).toBe(100);
    }
  });

  it('leaves scan checks out of a request evaluation (the project does not exist yet)', () => {
    const result = evaluator.evaluate(
      { entity: compliantProject(), related: [policyholderDataset], now },
      environment,
      'request',
    );
    expect(result.results.map(r => r.checkId)).not.toContain(
      'security.dependency-scan-fresh',
    );
    expect(result.results.filter(r => r.status === 'fail')).toEqual([]);
  });

  it('honours an active exemption and ignores an expired one', () => {
    const entity = compliantProject({}, { owner: 'user:default/liam.chen' });
    const exemption = {
      id: 'ex-1',
      checkId: 'ownership.group-exists',
      entityRef: 'component:default/churn-model',
    };
    const active = evaluate(entity, {
      exemptions: [{ ...exemption, expiresAt: '2027-01-01T00:00:00Z' }],
    });
    expect(statusOf(active, 'ownership.group-exists')).toBe('exempt');
    expect(active.controls['AC-2']).toBe('exempt');
    expect(active.score).toBe(100);
    const expired = evaluate(entity, {
      exemptions: [{ ...exemption, expiresAt: '2026-11-01T00:00:00Z' }],
    });
    expect(statusOf(expired, 'ownership.group-exists')).toBe('fail');
  });

  it('honours an exemption granted to the owning group for every entity it owns', () => {
    const base = compliantProject().metadata.annotations!;
    const annotations = { ...base, 'forge.io/region': 'us-east-1' };
    const exemptions = [
      {
        id: 'ex-2',
        checkId: 'data.restricted-in-approved-region',
        entityRef: 'group:default/retention-analytics',
        expiresAt: '2027-01-01T00:00:00Z',
      },
    ];
    const ours = evaluate(compliantProject({ annotations }), { exemptions });
    expect(statusOf(ours, 'data.restricted-in-approved-region')).toBe('exempt');
    const otherTeam = evaluate(
      compliantProject({ annotations }, { owner: 'customer-analytics' }),
      { exemptions },
    );
    expect(statusOf(otherTeam, 'data.restricted-in-approved-region')).toBe(
      'fail',
    );
  });

  it('reports a rule that cannot be evaluated as an error, not a pass', () => {
    const base = compliantProject().metadata.annotations!;
    const result = evaluate(
      compliantProject({
        annotations: { ...base, 'forge.io/gpu-quota': 'lots' },
      }),
    );
    expect(statusOf(result, 'gpu.quota-declared')).toBe('fail');
    const odd = evaluate(
      compliantProject({
        annotations: { ...base, 'forge.io/monthly-budget': '1e9' },
      }),
    );
    expect(statusOf(odd, 'cost.budget')).toBe('fail');
  });

  it('gives the same answer for documents made in another JavaScript realm (vm contexts, structuredClone)', () => {
    const local = evaluate(compliantProject());
    const foreign = vm.runInNewContext('JSON.parse(text)', {
      text: JSON.stringify({
        entity: compliantProject(),
        related: [policyholderDataset],
        facts: freshFacts(now),
        environment,
      }),
    });
    const result = evaluator.evaluate(
      { ...foreign, now: vm.runInNewContext(`new Date(${now.getTime()})`) },
      foreign.environment,
    );
    expect(result.results.filter(r => r.status === 'error')).toEqual([]);
    expect(result.results).toEqual(local.results);
    expect(result.score).toBe(100);
  });

  it('evaluates documents that are not stored entities (no relations, minimal metadata)', () => {
    const result = evaluator.evaluate(
      {
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'x' },
        },
        now,
      },
      environment,
    );
    expect(result.entityRef).toBe('component:default/x');
    expect(statusOf(result, 'ownership.group-exists')).toBe('fail');
    expect(statusOf(result, 'data.classification-valid')).toBe('fail');
    expect(result.level).toBe('none');
  });

  it('does not apply component checks to groups', () => {
    const group: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'g' },
      spec: { type: 'team', children: [] },
    };
    const result = evaluator.evaluate({ entity: group, now }, environment);
    expect(result.results.every(r => r.status === 'not_applicable')).toBe(true);
    expect(result.score).toBe(100);
  });
});

describe('checks awaiting CI evidence', () => {
  const created = new Date('2026-11-20T12:00:00Z');
  const secretScan = freshFacts(now).filter(f => f.name === 'secret-scan');
  const newProject = compliantProject({}, { lifecycle: 'experimental' });
  const awaiting = [
    'security.dependency-scan-fresh',
    'security.no-critical-vulnerabilities',
    'ci.tests-passing',
  ];

  it('are pending for a new blueprint project, left out of the score, with their due date', () => {
    const result = evaluate(newProject, {
      facts: secretScan,
      firstSeenAt: created,
    });
    for (const checkId of awaiting) {
      const r = result.results.find(x => x.checkId === checkId)!;
      expect(r).toMatchObject({
        status: 'pending',
        dueAt: '2026-11-27T12:00:00.000Z',
      });
      expect(r.message).toMatch(
        /^Waiting for (dependency-scan|ci) evidence from the project's CI until 2026-11-27/,
      );
    }
    expect(
      result.results.filter(r => r.status === 'fail' || r.status === 'error'),
    ).toEqual([]);
    expect(result.score).toBe(100);
    expect(result.pending).toBe(3);
    expect(result.nextDueAt).toBe('2026-11-27T12:00:00.000Z');
    // Like the score, the level is over the decided checks: the project is born at the top level, provisionally
    // (the silver checks awaiting evidence would take it down if they failed).
    expect(result.level).toBe('gold');
    expect(result.levelProvisional).toBe(true);
    expect(result.controls['SA-11']).toBe('pending');
    expect(result.controls['RA-5']).toBe('pending');
  });

  it('fail once the grace period is over, saying no evidence arrived in time', () => {
    const result = evaluate(newProject, {
      facts: secretScan,
      firstSeenAt: new Date('2026-11-19T11:59:59Z'),
    });
    const ci = result.results.find(r => r.checkId === 'ci.tests-passing')!;
    expect(ci.status).toBe('fail');
    expect(ci.message).toMatch(
      /^No ci evidence arrived within the grace period that ended 2026-11-26T11:59:59.000Z\. Fix/,
    );
    expect(result.pending).toBe(0);
    expect(result.score).toBeLessThan(100);
  });

  it('fail at once when the evidence arrived and says so', () => {
    const result = evaluate(newProject, {
      facts: [
        ...secretScan,
        {
          name: 'ci',
          collectedAt: now.toISOString(),
          data: { status: 'failing' },
        },
      ],
      firstSeenAt: created,
    });
    expect(statusOf(result, 'ci.tests-passing')).toBe('fail');
    expect(statusOf(result, 'security.no-critical-vulnerabilities')).toBe(
      'pending',
    );
  });

  it('give no grace without a first-seen time or to entities not created from a blueprint', () => {
    expect(
      statusOf(evaluate(newProject, { facts: secretScan }), 'ci.tests-passing'),
    ).toBe('fail');
    const handMade = compliantProject(
      {
        annotations: {
          ...newProject.metadata.annotations,
          'forge.io/blueprint': '',
        },
      },
      { lifecycle: 'experimental' },
    );
    expect(
      statusOf(
        evaluate(handMade, { facts: secretScan, firstSeenAt: created }),
        'ci.tests-passing',
      ),
    ).toBe('fail');
  });

  it('never count a pending check as passing: the score leaves it out, the level is provisional on it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 14 * 24 }), hoursAgo => {
        const result = evaluate(newProject, {
          facts: secretScan,
          firstSeenAt: new Date(now.getTime() - hoursAgo * 3600_000),
        });
        const pending = result.results.filter(r => r.status === 'pending');
        expect(result.pending).toBe(pending.length);
        expect(pending.length).toBe(hoursAgo < 168 ? 3 : 0);
        // While pending, score and level are whole and the level says it is provisional; once the grace period
        // ends without evidence the silver checks fail and take it down to bronze.
        expect([
          result.level,
          result.levelProvisional ?? false,
          result.score === 100,
        ]).toEqual(
          pending.length > 0 ? ['gold', true, true] : ['bronze', false, false],
        );
      }),
      { numRuns: 40 },
    );
  });
});

describe('PolicyEvaluator properties', () => {
  const annotationKeys = Object.keys(compliantProject().metadata.annotations!);
  // Annotations that decide whether a check applies at all: removing them may remove a failing check.
  const scoping = new Set(
    loadBaselinePack().checks.flatMap(c =>
      Object.keys(c.appliesTo.annotations ?? {}),
    ),
  );
  const plainKeys = annotationKeys.filter(k => !scoping.has(k));

  it('scores within 0..100, deterministically, and never higher after removing an annotation', () => {
    fc.assert(
      fc.property(
        fc.subarray(annotationKeys),
        fc.constantFrom(...plainKeys),
        (removed, extra) => {
          const annotations = { ...compliantProject().metadata.annotations! };
          for (const key of removed) delete annotations[key];
          const before = evaluate(compliantProject({ annotations }));
          const again = evaluate(compliantProject({ annotations }));
          expect(again.score).toBe(before.score);
          expect(before.score).toBeGreaterThanOrEqual(0);
          expect(before.score).toBeLessThanOrEqual(100);
          const fewer = { ...annotations };
          delete fewer[extra];
          expect(
            evaluate(compliantProject({ annotations: fewer })).score,
          ).toBeLessThanOrEqual(before.score);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reaches a level only when every check of that level and below passes', () => {
    const order = ['bronze', 'silver', 'gold'];
    fc.assert(
      fc.property(fc.subarray(annotationKeys), removed => {
        const annotations = { ...compliantProject().metadata.annotations! };
        for (const key of removed) delete annotations[key];
        const result = evaluate(compliantProject({ annotations }));
        // The level is the longest run of levels, from bronze up, with nothing failing at or below it (pending
        // checks are undecided; they make it provisional).
        const clean = (levelIndex: number) =>
          result.results.every(
            r =>
              order.indexOf(r.level) > levelIndex ||
              ['pass', 'exempt', 'not_applicable', 'pending'].includes(
                r.status,
              ),
          );
        let expected = 'none';
        for (let i = 0; i < order.length && clean(i); i++) expected = order[i];
        expect(result.level).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });
});
