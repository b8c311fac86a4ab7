import { Knex } from 'knex';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';

jest.setTimeout(60_000);

describe.each(testDatabases.eachSupportedId())(
  'EvidenceService and DashboardService (%s)',
  databaseId => {
    let knex: Knex;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      clock = testClock();
      h = await createHarness(knex, { now: clock.now });
      await h.compliance.evaluateAll();
      const exemption = await h.exemptions.request(
        {
          entityRef: 'component:default/claims-fraud-features',
          checkId: 'data.restricted-in-approved-region',
          justification:
            'Migration to eu-west-1 is scheduled for January; read-only until then.',
          compensatingControl:
            'Access limited to two named engineers, reviewed weekly.',
          expiresAt: new Date(
            clock.now().getTime() + 30 * 86400_000,
          ).toISOString(),
        },
        'user:default/mateo.garcia',
      );
      clock.advance(1);
      await h.exemptions.decide(
        exemption.id,
        { status: 'approved' },
        'user:default/daniel.moreau',
      );
      clock.advance(1);
    });
    afterEach(() => knex.destroy());

    it('exports a team\u2019s evidence for one control as CSV with rule versions, fact hashes and decisions', async () => {
      const rows = await h.evidence.collect({
        scope: { type: 'group', ref: 'group:default/data-science' },
        controlId: 'AC-4',
        asOf: clock.now(),
      });
      // data-science includes its sub-teams fraud-science and pricing-science.
      expect(new Set(rows.map(r => r.ownerRef))).toEqual(
        new Set([
          'group:default/fraud-science',
          'group:default/pricing-science',
        ]),
      );
      expect(rows.every(r => r.controls.includes('AC-4'))).toBe(true);
      const exempt = rows.find(
        r =>
          r.entityRef === 'component:default/claims-fraud-features' &&
          r.checkId === 'data.restricted-in-approved-region',
      )!;
      expect(exempt.status).toBe('exempt');
      expect(exempt.exemption?.decidedBy).toBe('user:default/daniel.moreau');

      const csv = h.evidence.toCsv(rows);
      const [header, ...lines] = csv.trim().split('\n');
      expect(header).toContain('rule_hash,facts_hash,evaluated_at');
      expect(header).toContain('exemption_decided_by');
      expect(lines).toHaveLength(rows.length);
      expect(csv).toContain('user:default/daniel.moreau');
    });

    it('exports OSCAL assessment-results with a finding per control and an observation per result', async () => {
      const query = {
        scope: { type: 'org' as const },
        framework: 'SOC2' as const,
        asOf: clock.now(),
      };
      const rows = await h.evidence.collect(query);
      const oscal = h.evidence.toOscal(rows, query) as any;
      const result = oscal['assessment-results'].results[0];
      expect(oscal['assessment-results'].metadata['oscal-version']).toBe(
        '1.1.2',
      );
      expect(result.observations).toHaveLength(rows.length);
      const ids = result['reviewed-controls']['control-selections'][0][
        'include-controls'
      ].map((c: any) => c['control-id']);
      expect(ids.every((id: string) => /^(cc|c|p)\d/.test(id))).toBe(true);
      const c11 = result.findings.find(
        (f: any) => f.target['target-id'] === 'c1.1_obj',
      );
      expect(['satisfied', 'not-satisfied']).toContain(c11.target.status.state);
      const observationIds = new Set(
        result.observations.map((o: any) => o.uuid),
      );
      expect(
        c11['related-observations'].every((r: any) =>
          observationIds.has(r['observation-uuid']),
        ),
      ).toBe(true);
      expect(result.observations[0].props.map((p: any) => p.name)).toEqual(
        expect.arrayContaining([
          'rule-hash',
          'facts-hash',
          'policy-pack',
          'history-hash',
        ]),
      );
    });

    it('includes what the blueprint gate found for requests, even refused ones, as observations without findings', async () => {
      // A request the gate refused: restricted data in a region the pack does not allow. The project never existed.
      const requested = {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'claims-lapse-us',
          namespace: 'default',
          annotations: {
            'forge.io/data-classification': 'restricted',
            'forge.io/region': 'us-east-1',
          },
        },
        spec: {
          type: 'ml-pipeline',
          lifecycle: 'experimental',
          owner: 'group:default/retention-analytics',
        },
      };
      const evaluation = await h.compliance.dryRun(requested, 'request');
      expect(
        evaluation.results.find(
          r => r.checkId === 'data.restricted-in-approved-region',
        )?.status,
      ).toBe('fail');
      const recordedAt = clock.now().toISOString();
      const gateId = await h.store.recordGateEvaluation(
        {
          entityRef: 'component:default/claims-lapse-us',
          decision: 'blocked',
          evaluation,
          taskId: 'task-1',
          templateRef: 'template:default/ml-training-pipeline',
        },
        'plugin:scaffolder',
        recordedAt,
      );

      // Not before it happened.
      await expect(
        h.evidence.collect({
          scope: { type: 'entity', ref: 'component:default/claims-lapse-us' },
          asOf: new Date(clock.now().getTime() - 1),
        }),
      ).rejects.toThrow(/No compliance results or gate evaluations/);

      clock.advance(1);
      const rows = await h.evidence.collect({
        scope: { type: 'entity', ref: 'component:default/claims-lapse-us' },
        controlId: 'AC-4',
        asOf: clock.now(),
      });
      expect(rows.length).toBeGreaterThan(0);
      expect(
        rows.every(r => r.source === 'gate' && r.gate?.decision === 'blocked'),
      ).toBe(true);
      const refused = rows.find(
        r => r.checkId === 'data.restricted-in-approved-region',
      )!;
      expect(refused).toMatchObject({
        status: 'fail',
        evaluatedAt: recordedAt,
      });
      expect(refused.historyHash).toBe(
        `gate:${gateId}:data.restricted-in-approved-region`,
      );

      const csv = h.evidence.toCsv(rows);
      expect(csv.split('\n')[0]).toContain(
        'source,gate_decision,gate_task_id,gate_template,gate_recorded_by',
      );
      expect(csv).toContain(
        'gate,blocked,task-1,template:default/ml-training-pipeline,plugin:scaffolder',
      );

      // In the organisation's OSCAL the gate's results are observations; findings stay about the live state.
      const query = {
        scope: { type: 'org' as const },
        controlId: 'AC-4',
        asOf: clock.now(),
      };
      const orgRows = await h.evidence.collect(query);
      const gateRows = orgRows.filter(r => r.source === 'gate');
      expect(gateRows.length).toBe(rows.length);
      const oscal = h.evidence.toOscal(orgRows, query) as any;
      const result = oscal['assessment-results'].results[0];
      expect(result.observations).toHaveLength(orgRows.length);
      const gateObservation = result.observations.find((o: any) =>
        o.props.some(
          (p: any) => p.name === 'gate-decision' && p.value === 'blocked',
        ),
      );
      expect(gateObservation.remarks).toMatch(/before anything was created/);
      const related = new Set(
        result.findings.flatMap((f: any) =>
          f['related-observations'].map((r: any) => r['observation-uuid']),
        ),
      );
      expect(related.has(gateObservation.uuid)).toBe(false);
    });

    it('answers as of a date before the exemption with the failure', async () => {
      const rows = await h.evidence.collect({
        scope: {
          type: 'entity',
          ref: 'component:default/claims-fraud-features',
        },
        asOf: new Date(clock.now().getTime() - 90 * 60_000),
      });
      expect(
        rows.find(r => r.checkId === 'data.restricted-in-approved-region')
          ?.status,
      ).toBe('fail');
      await expect(
        h.evidence.collect({
          scope: { type: 'org' },
          controlId: 'XX-1',
          asOf: clock.now(),
        }),
      ).rejects.toThrow(/Unknown control/);
    });

    it('rolls teams up through the whole nested hierarchy', async () => {
      const dashboard = await h.dashboard.dashboard({});
      expect(dashboard.rootGroupRef).toBe('group:default/meridian-mutual');
      const team = (ref: string) =>
        dashboard.teams.find(t => t.groupRef === ref)!;
      const fraud = team('group:default/fraud-science');
      const pricing = team('group:default/pricing-science');
      const dataScience = team('group:default/data-science');
      expect(dataScience.entityCount).toBe(
        fraud.entityCount + pricing.entityCount,
      );
      expect(team('group:default/data-analytics').entityCount).toBeGreaterThan(
        dataScience.entityCount,
      );
      expect(dataScience.depth).toBe(2);
      expect(Object.keys(dataScience.families)).toEqual(dashboard.families);
      expect(dashboard.worstEntities[0].score).toBeLessThanOrEqual(
        dashboard.worstEntities[1].score,
      );
      expect(dashboard.trend.length).toBeGreaterThan(0);

      const failing = await h.dashboard.failingChecks(
        'group:default/data-science',
      );
      expect(
        failing.every(f =>
          [
            'group:default/fraud-science',
            'group:default/pricing-science',
            'group:default/data-science',
          ].includes(f.ownerRef),
        ),
      ).toBe(true);
      expect(failing[0].severity).toBe('critical');
      await expect(
        h.dashboard.failingChecks('group:default/nope'),
      ).rejects.toThrow(/No group/);
    });
  },
);
