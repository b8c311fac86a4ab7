/** @public */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** @public */
export type Severity = (typeof SEVERITIES)[number];

/** Levels a project reaches, lowest first. @public */
export const LEVELS = ['bronze', 'silver', 'gold'] as const;
/** @public */
export type Level = (typeof LEVELS)[number];

/** @public */
export const FRAMEWORKS = ['SOC2', 'NIST-800-53'] as const;
/** @public */
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * A control of a framework that checks evidence, e.g. SOC 2 CC6.1 or NIST 800-53 AC-2.
 *
 * @public
 */
export interface Control {
  id: string;
  framework: Framework;
  /** The control family: a SOC 2 criterion group (CC6) or a NIST family (AC). */
  family: string;
  title: string;
}

/**
 * Where a check applies. Every given condition must hold; an empty object applies everywhere.
 *
 * @public
 */
export interface CheckApplicability {
  kinds?: string[];
  types?: string[];
  lifecycles?: string[];
  /** Annotation key to a required value, or `true` for "present with any value". */
  annotations?: Record<string, string | true>;
}

/**
 * What the scaffolder gate does with a failure of the check: stop the task, report it, or not evaluate it on
 * requests (checks about things that only exist later, such as scan results).
 *
 * @public
 */
export type GateMode = 'block' | 'warn' | 'skip';

/**
 * A check whose evidence only CI can produce (a dependency scan, a test run): while one of `facts` has never been
 * pushed for a project created from a blueprint, the check is `pending` instead of failing, for `gracePeriod`
 * (a duration such as `168h`) after compliance first saw the project. It fails once the grace period ends without
 * the evidence.
 *
 * @public
 */
export interface AwaitedEvidence {
  facts: string[];
  gracePeriod: string;
}

/** @public */
export interface Check {
  id: string;
  title: string;
  description?: string;
  severity: Severity;
  level: Level;
  /** Ids of the controls (declared in the pack) that this check evidences. */
  controls: string[];
  appliesTo: CheckApplicability;
  /** A CEL expression that evaluates to true when the entity passes. */
  rule: string;
  /** What a developer does to pass. */
  remediation: string;
  gate: GateMode;
  /** Evidence only CI produces; the check is pending until it arrives or the grace period ends. */
  awaitsEvidence?: AwaitedEvidence;
}

/** @public */
export interface PolicyPack {
  name: string;
  version: string;
  title: string;
  description?: string;
  /** Values rules read as `params`, e.g. approved regions per classification. */
  parameters: Record<string, unknown>;
  controls: Control[];
  checks: Check[];
}

/**
 * A fact about an entity pushed by a tool (CI, a scanner), with when it was collected.
 *
 * @public
 */
export interface Fact {
  name: string;
  collectedAt: string;
  source?: string;
  data: Record<string, unknown>;
}

/**
 * `pending`: the check awaits evidence only CI produces (see {@link AwaitedEvidence}); it is neither passing nor
 * failing, is left out of the score and keeps the level below its own.
 *
 * @public
 */
export type CheckStatus =
  | 'pass'
  | 'fail'
  | 'error'
  | 'exempt'
  | 'pending'
  | 'not_applicable';

/** `pending`: no check of the control fails and at least one awaits evidence. @public */
export type ControlStatus =
  | 'pass'
  | 'fail'
  | 'exempt'
  | 'pending'
  | 'not_applicable';

/** @public */
export interface CheckResult {
  checkId: string;
  packName: string;
  packVersion: string;
  severity: Severity;
  level: Level;
  controls: string[];
  status: CheckStatus;
  /** Why it failed or errored, which exemption applies, or what evidence it awaits. */
  message?: string;
  /** When a pending check fails if its evidence has not arrived (the end of its grace period). */
  dueAt?: string;
}

/** @public */
export interface EntityEvaluation {
  entityRef: string;
  evaluatedAt: string;
  /**
   * 0 to 100 over the decided checks, weighted by severity; exempt checks count as passing, pending and
   * not-applicable ones are left out.
   */
  score: number;
  /**
   * The highest level whose decided checks, and those of every level below, all pass (or are exempt). Like the
   * score, it leaves pending checks out: a new project waiting for its first CI evidence is not failing.
   */
  level: Level | 'none';
  /**
   * True when checks at or below `level` are pending: the level is provisional, held only if their evidence passes,
   * and lost when one fails or its grace period ends without evidence.
   */
  levelProvisional?: boolean;
  /** How many checks await evidence, and the earliest of their due dates. */
  pending?: number;
  nextDueAt?: string;
  results: CheckResult[];
  controls: Record<string, ControlStatus>;
}

/**
 * An approved exemption the evaluator honours: a failing check counts as exempt until it expires. `entityRef` is
 * the entity it covers, or an owning group, in which case it covers every entity that group owns.
 *
 * @public
 */
export interface ActiveExemption {
  id: string;
  checkId: string;
  entityRef: string;
  expiresAt: string;
}

/**
 * `exemption`: accept a failing check for a while, with a compensating control. `approval`: a sign-off the
 * scaffolder gate asks for before creating a project (restricted data, cost above the team's threshold); its
 * check id is one of the `approval.*` ids.
 *
 * @public
 */
export type ExemptionKind = 'exemption' | 'approval';

/** @public */
export type ExemptionStatus = 'pending' | 'approved' | 'rejected' | 'revoked';

/**
 * Gate approvals are filed in the exemption queue under these check ids.
 *
 * @public
 */
export const APPROVAL_CHECK_IDS = {
  restrictedData: 'approval.restricted-data',
  costThreshold: 'approval.cost-threshold',
} as const;

/** @public */
export interface Exemption {
  id: string;
  kind: ExemptionKind;
  /** The entity it covers, or an owning group (then it covers every entity the group owns). */
  entityRef: string;
  checkId: string;
  justification: string;
  compensatingControl: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  status: ExemptionStatus;
  decidedBy?: string;
  decidedAt?: string;
  decisionNote?: string;
  /**
   * What a gate approval approves (the blueprint request it was filed for), recorded with the request and sealed in
   * the history with it. The gate accepts an approval only for a request that matches it; approvals filed before
   * subjects were recorded have none and are not accepted by the gate (ask again).
   */
  subject?: ApprovalSubject;
}

/**
 * The blueprint request a gate approval was asked for: the approver decides on this, and the gate accepts the
 * approval only for a request by the same person, from the same template, for the same owner, data classification
 * and restricted sources, and (for a cost approval) at most the approved monthly estimate.
 *
 * @public
 */
export interface ApprovalSubject {
  /** The scaffolder Template the project is created from, e.g. template:default/ml-training-pipeline. */
  templateRef: string | null;
  ownerRef: string;
  classification: string | null;
  /** The restricted data sources the project reads, sorted. */
  restrictedSources: string[];
  /** The monthly estimate and the threshold it crossed, when the request has a cost estimate. */
  cost: {
    monthlyTotal: number;
    approvalThreshold: number;
    currency: string;
  } | null;
}

/**
 * The facts a blueprint leaves for the project it just created (forge:evidence:collect): the only ones the
 * scaffolder may push. Everything else (CI results, scans of the running project) comes from the tools that
 * produce it.
 *
 * @public
 */
export const BLUEPRINT_CREATION_FACTS = ['secret-scan', 'sbom'] as const;

/** @public */
export interface ExemptionRequest {
  kind?: ExemptionKind;
  entityRef: string;
  checkId: string;
  justification: string;
  compensatingControl: string;
  expiresAt: string;
  /**
   * The person a service files the request for (the scaffolder gate: whoever ran the blueprint), recorded as the
   * requester so that they cannot decide it themselves and hear of the decision. Refused from users.
   */
  onBehalfOf?: string;
  /** For a gate approval: what it approves (see {@link ApprovalSubject}). Refused for exemptions. */
  subject?: ApprovalSubject;
}

/**
 * What the scaffolder gate decided for a request, stored as evidence.
 *
 * @public
 */
export interface GateEvaluationRecord {
  entityRef: string;
  decision: 'passed' | 'blocked' | 'approval-required';
  evaluation: EntityEvaluation;
  taskId?: string;
  templateRef?: string;
  reasons?: string[];
}
