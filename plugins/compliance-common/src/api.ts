import {
  CheckResult,
  ControlStatus,
  Exemption,
  Framework,
  Level,
} from './types';

/**
 * A check result with what a reader needs to act on it.
 *
 * @public
 */
export interface ScorecardCheck extends CheckResult {
  title: string;
  remediation: string;
  /** When the check last changed status. */
  since?: string;
  /** The exemption that makes the check exempt; its justification only for those who may read it. */
  exemption?: Pick<Exemption, 'id' | 'expiresAt' | 'decidedBy'> &
    Partial<Pick<Exemption, 'justification'>>;
}

/** @public */
export interface ScorecardControl {
  id: string;
  framework: Framework;
  family: string;
  title: string;
  status: ControlStatus;
}

/**
 * An entity's compliance: now, or as of a past date.
 *
 * @public
 */
export interface Scorecard {
  entityRef: string;
  evaluatedAt: string;
  asOf?: string;
  score: number;
  level: Level | 'none';
  /** The level rests on pending checks: it holds only if their evidence passes (see EntityEvaluation). */
  levelProvisional?: boolean;
  /** Checks awaiting evidence only CI produces, and when the first of them fails without it. */
  pending?: number;
  nextDueAt?: string;
  results: ScorecardCheck[];
  controls: ScorecardControl[];
}

/**
 * One change in the tamper-evident history.
 *
 * @public
 */
export interface HistoryEntry {
  seq: number;
  entityRef: string;
  checkId: string;
  status: string;
  previousStatus?: string;
  message?: string;
  packName: string;
  packVersion: string;
  ruleHash: string;
  factsHash: string;
  recordedAt: string;
  hash: string;
}

/**
 * The answer of history verification: whether every record of the chain (results, exemption and approval
 * requests and decisions, gate evaluations, policy pack versions) and every state table agree with their keyed hashes
 * and the signed checkpoints; if not, the first broken or missing record.
 *
 * @public
 */
export interface ChainVerification {
  ok: boolean;
  /** Records checked. */
  checked: number;
  /** The newest record of the chain as stored. */
  head?: { seq: number; hash: string };
  /** The newest signed checkpoint the chain was compared with, and how many there are. */
  checkpoint?: { seq: number; at: string; keyId: string; count: number };
  firstBrokenLink?: {
    seq: number;
    expectedHash: string;
    storedHash: string;
    reason: string;
    /** What the record is, e.g. `exemption 6b1d…` or `result of component:default/x, check y`. */
    record?: string;
    /** The table that holds it. */
    table?: string;
  };
}

/**
 * A team's compliance across control families (its own entities and those of every sub-team).
 *
 * @public
 */
export interface TeamRollup {
  groupRef: string;
  title: string;
  parentRef?: string;
  depth: number;
  entityCount: number;
  averageScore: number;
  families: Record<
    string,
    { pass: number; fail: number; exempt: number; rate: number }
  >;
}

/** @public */
export interface ComplianceDashboard {
  rootGroupRef: string;
  families: string[];
  teams: TeamRollup[];
  trend: Array<{ date: string; averageScore: number; failingChecks: number }>;
  worstEntities: Array<{
    entityRef: string;
    ownerRef: string;
    score: number;
    level: Level | 'none';
    failing: number;
  }>;
  /**
   * New projects whose only open checks await their first CI evidence: not among the worst, listed with when their
   * grace period ends.
   */
  awaitingEvidence?: Array<{
    entityRef: string;
    ownerRef: string;
    score: number;
    level: Level | 'none';
    pending: number;
    nextDueAt?: string;
  }>;
}

/** @public */
export interface FailingCheck {
  entityRef: string;
  ownerRef: string;
  checkId: string;
  title: string;
  severity: CheckResult['severity'];
  remediation: string;
  since?: string;
}
