import { explainDecision, GateDecision, GateFinding } from './evaluateRequest';

const regionRule = (entityRef: string): GateFinding => ({
  checkId: 'data.restricted-in-approved-region',
  title: 'Restricted data only in approved regions',
  pack: 'baseline@1.0.0',
  severity: 'critical',
  controls: ['AC-4', 'CC6.7', 'C1.1'],
  entityRef,
  message: 'Restricted data may only be stored and processed in eu-west-1 or eu-central-1.',
});

const decision = (blocking: GateFinding[]): GateDecision => ({
  decision: 'blocked',
  primaryRef: 'component:default/claims-lapse-us',
  ownerRef: 'group:default/retention-analytics',
  blocking,
  warnings: [],
  approvals: [],
  evaluations: [],
});

describe('explainDecision', () => {
  it('counts a rule broken by the project and its storage as one failed check, naming both', () => {
    const text = explainDecision(
      decision([regionRule('component:default/claims-lapse-us'), regionRule('resource:default/claims-lapse-us-storage')]),
    );
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Blocked by the compliance gate: 1 check failed.',
      '- data.restricted-in-approved-region "Restricted data only in approved regions" (baseline@1.0.0, critical; ' +
        'controls AC-4, CC6.7, C1.1) on component:default/claims-lapse-us and resource:default/claims-lapse-us-storage: ' +
        'Restricted data may only be stored and processed in eu-west-1 or eu-central-1.',
    ]);
    expect(text).toContain('Nothing has been published.');
  });

  it('counts different rules apart', () => {
    const other: GateFinding = { ...regionRule('component:default/claims-lapse-us'), checkId: 'gate.region-allowed' };
    expect(explainDecision(decision([regionRule('component:default/claims-lapse-us'), other]))).toMatch(
      /^Blocked by the compliance gate: 2 checks failed\./,
    );
  });
});
