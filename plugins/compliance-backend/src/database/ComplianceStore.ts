import {
  EntityEvaluation,
  Exemption,
  ExemptionStatus,
  Fact,
  GateEvaluationRecord,
  HistoryEntry,
  Level,
} from '@internal/plugin-compliance-common';

/** An entity's latest summary. */
export interface EntitySummary {
  entityRef: string;
  ownerRef?: string;
  etag?: string;
  score: number;
  level: Level | 'none';
  controls: Record<string, string>;
  evaluatedAt: string;
  digest: string;
}

/** A stored check result (not-applicable results are not stored: absence means not applicable). */
export interface StoredResult {
  entityRef: string;
  checkId: string;
  packName: string;
  packVersion: string;
  ruleHash: string;
  factsHash: string;
  status: string;
  message?: string;
  since: string;
}

/** One evaluated entity to persist. */
export interface EvaluationWrite {
  entityRef: string;
  ownerRef?: string;
  etag?: string;
  evaluation: EntityEvaluation;
  /** sha256 of each check's definition, by check id. */
  ruleHashes: Map<string, string>;
  factsHash: string;
}

/** A result that changed in a write, for notifications. */
export interface ResultChange {
  entityRef: string;
  ownerRef?: string;
  checkId: string;
  severity: string;
  from?: string;
  to: string;
}

export interface ExemptionFilter {
  entityRef?: string;
  checkId?: string;
  status?: ExemptionStatus;
  kind?: string;
}

/** Storage of the compliance backend. Every method works the same on SQLite and PostgreSQL. */
export interface ComplianceStore {
  /** Persists evaluations; writes history and current rows only for results that changed. */
  applyEvaluations(
    writes: EvaluationWrite[],
    evaluatedAt: string,
  ): Promise<{ changes: ResultChange[] }>;
  /** Forgets entities that left the catalog (their history stays). */
  removeEntities(entityRefs: string[], at: string): Promise<void>;

  listSummaries(): Promise<EntitySummary[]>;
  getSummary(entityRef: string): Promise<EntitySummary | undefined>;
  getCurrent(entityRef: string): Promise<StoredResult[]>;
  listCurrentFailing(entityRefs?: string[]): Promise<StoredResult[]>;

  /** The newest history record of each check of the given entities (all when omitted) at or before `asOf`. */
  stateAsOf(asOf: string, entityRefs?: string[]): Promise<HistoryEntry[]>;
  /** Score and level of each entity at or before `asOf`. */
  summariesAsOf(asOf: string): Promise<
    Array<{
      entityRef: string;
      ownerRef?: string;
      score: number;
      level: string;
      failing: number;
    }>
  >;
  listHistory(entityRef: string, limit: number): Promise<HistoryEntry[]>;
  countHistory(): Promise<number>;
  /** Reads the chain in order, in pages. */
  readChain(
    afterSeq: number,
    limit: number,
  ): Promise<Array<HistoryEntry & { prevHash: string }>>;

  upsertFact(
    entityRef: string,
    fact: Fact,
    receivedFrom: string,
    receivedAt: string,
  ): Promise<void>;
  listFacts(
    entityRefs?: string[],
  ): Promise<Map<string, Array<Fact & { hash: string }>>>;

  createExemption(exemption: Exemption): Promise<void>;
  getExemption(id: string): Promise<Exemption | undefined>;
  listExemptions(filter: ExemptionFilter): Promise<Exemption[]>;
  /** Changes the status only if it is still `expected`; returns the updated exemption or undefined. */
  transitionExemption(
    id: string,
    expected: ExemptionStatus,
    update: {
      status: ExemptionStatus;
      decidedBy: string;
      decidedAt: string;
      decisionNote?: string;
    },
  ): Promise<Exemption | undefined>;
  /** Approved exemptions expiring before `before` whose owners were not told yet. */
  listExpiringUnnotified(now: string, before: string): Promise<Exemption[]>;
  markExpiryNotified(id: string, at: string): Promise<void>;

  recordGateEvaluation(
    record: GateEvaluationRecord,
    recordedBy: string,
    recordedAt: string,
  ): Promise<string>;
  /**
   * Gate evaluations, newest first: of one entity, of several, or (no refs) of all, optionally only those recorded
   * on or before `asOf`.
   */
  listGateEvaluations(
    entityRefs?: string | string[],
    asOf?: string,
  ): Promise<
    Array<
      GateEvaluationRecord & {
        id: string;
        recordedAt: string;
        recordedBy: string;
      }
    >
  >;
}
