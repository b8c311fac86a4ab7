import type { Entity } from '@backstage/catalog-model';
import type {
  ComplianceDashboard,
  Exemption,
  HistoryEntry,
  Scorecard,
  ScorecardCheck,
} from '@internal/plugin-compliance-common';
import type { ComplianceApi } from '../api';

export const churnModel: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'churn-model', namespace: 'default' },
  spec: {
    type: 'ml-pipeline',
    owner: 'group:default/retention-analytics',
    lifecycle: 'production',
  },
};

export const retentionAnalytics: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'retention-analytics', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

function check(
  overrides: Partial<ScorecardCheck> & Pick<ScorecardCheck, 'checkId'>,
): ScorecardCheck {
  return {
    packName: 'baseline',
    packVersion: '1.0.0',
    severity: 'medium',
    level: 'bronze',
    controls: [],
    status: 'pass',
    title: overrides.checkId,
    remediation: `Fix ${overrides.checkId}`,
    since: '2026-11-20T10:00:00.000Z',
    ...overrides,
  };
}

/** churn-model with four failing checks (one critical), two passing and one not applicable. */
export function scorecardFixture(
  overrides: Partial<Scorecard> = {},
): Scorecard {
  return {
    entityRef: 'component:default/churn-model',
    evaluatedAt: '2026-11-26T09:00:00.000Z',
    score: 61,
    level: 'bronze',
    results: [
      check({
        checkId: 'security.no-critical-vulnerabilities',
        title: 'No critical vulnerabilities',
        severity: 'critical',
        level: 'silver',
        controls: ['RA-5', 'CC7.1'],
        status: 'fail',
        remediation:
          'Upgrade the dependencies with critical findings, then rerun the scan.',
      }),
      check({
        checkId: 'security.dependency-scan-fresh',
        title: 'Dependency scan no older than 7 days',
        severity: 'high',
        level: 'silver',
        controls: ['RA-5'],
        status: 'fail',
        remediation: 'Run the dependency scan in CI at least weekly.',
      }),
      check({
        checkId: 'env.monitoring',
        title: 'Monitoring and alerting declared',
        level: 'gold',
        controls: ['AU-2', 'CC7.2'],
        status: 'fail',
        remediation: 'Ship metrics and alerts and set forge.io/monitoring.',
      }),
      check({
        checkId: 'ci.tests-passing',
        title: 'CI tests pass on the default branch',
        level: 'silver',
        controls: ['CC8.1'],
        status: 'fail',
        remediation: 'Fix the failing tests on the default branch.',
      }),
      check({
        checkId: 'ownership.group-exists',
        title: 'Owned by a group that exists',
        severity: 'high',
        controls: ['CC1.3', 'AC-2'],
      }),
      check({
        checkId: 'data.pii-classified',
        title: 'Personal data classified confidential or restricted',
        severity: 'critical',
        controls: ['AC-3'],
        status: 'exempt',
        exemption: {
          id: 'ex-1',
          expiresAt: '2027-01-31T23:59:59.000Z',
          decidedBy: 'user:default/daniel.moreau',
          justification:
            'Pseudonymised extract only until the migration completes.',
        },
      }),
      check({
        checkId: 'ml.model-card',
        title: 'Model card published',
        controls: ['SA-5'],
        status: 'not_applicable',
      }),
    ],
    controls: [
      {
        id: 'CC1.3',
        framework: 'SOC2',
        family: 'CC1',
        title: 'Structures and reporting lines',
        status: 'pass',
      },
      {
        id: 'CC7.1',
        framework: 'SOC2',
        family: 'CC7',
        title: 'Detects vulnerabilities',
        status: 'fail',
      },
      {
        id: 'CC7.2',
        framework: 'SOC2',
        family: 'CC7',
        title: 'Monitors components',
        status: 'fail',
      },
      {
        id: 'CC8.1',
        framework: 'SOC2',
        family: 'CC8',
        title: 'Manages changes',
        status: 'fail',
      },
      {
        id: 'AC-2',
        framework: 'NIST-800-53',
        family: 'AC',
        title: 'Account Management',
        status: 'pass',
      },
      {
        id: 'AC-3',
        framework: 'NIST-800-53',
        family: 'AC',
        title: 'Access Enforcement',
        status: 'exempt',
      },
      {
        id: 'AU-2',
        framework: 'NIST-800-53',
        family: 'AU',
        title: 'Event Logging',
        status: 'fail',
      },
      {
        id: 'RA-5',
        framework: 'NIST-800-53',
        family: 'RA',
        title: 'Vulnerability Monitoring and Scanning',
        status: 'fail',
      },
      {
        id: 'SA-5',
        framework: 'NIST-800-53',
        family: 'SA',
        title: 'System Documentation',
        status: 'not_applicable',
      },
    ],
    ...overrides,
  };
}

export function historyEntry(
  seq: number,
  checkId: string,
  status: string,
  recordedAt: string,
  previousStatus?: string,
): HistoryEntry {
  return {
    seq,
    entityRef: 'component:default/churn-model',
    checkId,
    status,
    previousStatus,
    packName: 'baseline',
    packVersion: '1.0.0',
    ruleHash: `rule-${checkId}`,
    factsHash: 'none',
    recordedAt,
    hash: `hash-${seq}-0123456789abcdef`,
  };
}

export function exemptionFixture(
  overrides: Partial<Exemption> = {},
): Exemption {
  return {
    id: 'ex-42',
    kind: 'exemption',
    entityRef: 'component:default/churn-model',
    checkId: 'security.dependency-scan-fresh',
    justification:
      'The scanner cannot reach the private registry until the proxy is configured.',
    compensatingControl:
      'Weekly manual review of the lock file by the security champion.',
    requestedBy: 'user:default/guest',
    requestedAt: '2026-11-25T08:00:00.000Z',
    expiresAt: '2027-02-28T23:59:59.000Z',
    status: 'pending',
    ...overrides,
  };
}

export const dashboardFixture: ComplianceDashboard = {
  rootGroupRef: 'group:default/meridian-mutual',
  families: ['NIST AC', 'SOC 2 CC7'],
  teams: [
    {
      groupRef: 'group:default/meridian-mutual',
      title: 'Meridian Mutual',
      depth: 0,
      entityCount: 3,
      averageScore: 74,
      families: {
        'NIST AC': { pass: 3, fail: 1, exempt: 0, rate: 0.75 },
        'SOC 2 CC7': { pass: 1, fail: 2, exempt: 0, rate: 1 / 3 },
      },
    },
    {
      groupRef: 'group:default/retention-analytics',
      title: 'Retention Analytics',
      parentRef: 'group:default/customer-analytics',
      depth: 2,
      entityCount: 1,
      averageScore: 61,
      families: {
        'NIST AC': { pass: 1, fail: 0, exempt: 1, rate: 1 },
        'SOC 2 CC7': { pass: 0, fail: 2, exempt: 0, rate: 0 },
      },
    },
    {
      groupRef: 'group:default/customer-analytics',
      title: 'Customer Analytics',
      parentRef: 'group:default/meridian-mutual',
      depth: 1,
      entityCount: 1,
      averageScore: 61,
      families: {
        'NIST AC': { pass: 1, fail: 0, exempt: 1, rate: 1 },
        'SOC 2 CC7': { pass: 0, fail: 2, exempt: 0, rate: 0 },
      },
    },
    {
      groupRef: 'group:default/security',
      title: 'Security',
      parentRef: 'group:default/meridian-mutual',
      depth: 1,
      entityCount: 0,
      averageScore: 100,
      families: {
        'NIST AC': { pass: 0, fail: 0, exempt: 0, rate: 1 },
        'SOC 2 CC7': { pass: 0, fail: 0, exempt: 0, rate: 1 },
      },
    },
  ],
  trend: [
    { date: '2026-11-12', averageScore: 70, failingChecks: 9 },
    { date: '2026-11-19', averageScore: 72, failingChecks: 8 },
    { date: '2026-11-26', averageScore: 74, failingChecks: 6 },
  ],
  worstEntities: [
    {
      entityRef: 'component:default/churn-model',
      ownerRef: 'group:default/retention-analytics',
      score: 61,
      level: 'bronze',
      failing: 4,
    },
    {
      entityRef: 'resource:default/claims-warehouse',
      ownerRef: 'group:default/customer-analytics',
      score: 88,
      level: 'silver',
      failing: 1,
    },
  ],
};

/** A compliance API whose every method is a jest mock, with the given implementations. */
export function mockComplianceApi(
  impl: Partial<ComplianceApi> = {},
): jest.Mocked<ComplianceApi> {
  const unexpected = (name: string) =>
    jest.fn(async () => {
      throw new Error(`unexpected call to ${name}`);
    });
  return {
    getScorecard: unexpected('getScorecard'),
    evaluateNow: unexpected('evaluateNow'),
    getHistory: jest.fn(async () => []),
    listExemptions: jest.fn(async () => []),
    requestExemption: unexpected('requestExemption'),
    decideExemption: unexpected('decideExemption'),
    revokeExemption: unexpected('revokeExemption'),
    getDashboard: unexpected('getDashboard'),
    getGroupFailingChecks: unexpected('getGroupFailingChecks'),
    exportEvidence: unexpected('exportEvidence'),
    verifyHistory: unexpected('verifyHistory'),
    listPolicyPacks: jest.fn(async () => []),
    ...impl,
  } as jest.Mocked<ComplianceApi>;
}
