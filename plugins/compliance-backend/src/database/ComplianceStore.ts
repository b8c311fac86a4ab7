import { LedgerKind } from '../service/hashing';
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

/** One record of the tamper-evident chain, as stored: a result (compliance_history) or another ledger record. */
export interface ChainRecord {
  seq: number;
  kind: LedgerKind;
  prevHash: string;
  hash: string;
  /**
   * The id of the history key that sealed it (null for records older than the keyed ledger); a rotation record
   * names the new key.
   */
  keyId: string | null;
  /**
   * The text its hash covers: for results, the canonical JSON of the result's fields; for ledger records, the body
   * with the record's id, event, entity and time (hashing.ts ledgerText).
   */
  text: string;
  /** For ledger records: the body alone, the state of the row it is about (canonical JSON). */
  body?: string;
  recordedAt: string;
  /** For ledger records: the id of the record it is about (exemption id, gate evaluation id, pack name). */
  recordId?: string;
  /** For ledger records: what happened, e.g. requested, approved, loaded. */
  event?: string;
  entityRef?: string;
  /** For results: the entity and check, status and the fields the current state must agree with. */
  result?: HistoryEntry;
}

/** A ledger record other than a result, with its body parsed. */
export interface LedgerRecord {
  seq: number;
  kind: LedgerKind;
  recordId: string;
  event: string;
  entityRef?: string;
  body: Record<string, unknown>;
  recordedAt: string;
  hash: string;
}

/** A signed checkpoint of the chain head: the chain had `seq` records, the last with hash `head`, at time `at`. */
export interface SignedCheckpoint {
  seq: number;
  head: string;
  at: string;
  keyId: string;
  /** Ed25519 signature (hex) of {@link checkpointMessage}. */
  signature: string;
}

/** The state tables whose rows must agree with the newest ledger record about them. */
export type StateKind = 'exemption' | 'gate-evaluation' | 'policy-pack';

/** A policy pack version to record. */
export interface PolicyPackVersion {
  name: string;
  version: string;
  file: string;
  definition: unknown;
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
  /** Results awaiting CI evidence (status `pending`), of every entity. */
  listCurrentPending(): Promise<StoredResult[]>;
  /**
   * When compliance first evaluated each of the given entities (its first recorded score), by entity ref; absent
   * for entities never evaluated. Grace periods start then: the time is compliance's own, not the entity's.
   */
  firstEvaluatedAt(entityRefs: string[]): Promise<Map<string, string>>;

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

  /** The newest record of the chain (seq 0 and hash `genesis` when empty) and the id of the key in force. */
  chainHead(): Promise<{ seq: number; hash: string; keyId?: string }>;
  /** Reads the chain (results and ledger records together) in order of seq, in pages. */
  readChain(afterSeq: number, limit: number): Promise<ChainRecord[]>;
  /**
   * Rows of compliance_history and compliance_ledger numbered below the chain (seq NULL, 0 or negative; at most
   * `limit` of each table): no record of the chain has such a seq, so each one was written outside Forge. Readers
   * never return them (they read seq 1 to the head only); verify names them.
   */
  readOffChain(
    limit: number,
  ): Promise<Array<{ seq: number | null; record: ChainRecord }>>;
  /** The record that re-anchored history written before the keyed ledger, if there is one. */
  findAnchor(): Promise<ChainRecord | undefined>;
  /** Ledger records of one kind, in order, optionally only those recorded on or before `asOf`. */
  listLedger(kind: LedgerKind, asOf?: string): Promise<LedgerRecord[]>;
  /**
   * Ledger records of one kind about the given entities (by the record's chained entity ref), in order of seq: the
   * records themselves, bodies included, so what is read from them is what verify checks.
   */
  listLedgerFor(
    kind: LedgerKind,
    entityRefs: string[],
  ): Promise<LedgerRecord[]>;
  /** The canonical text of each row of a state table, by record id, as its ledger records hold it. */
  readState(kind: StateKind): Promise<Map<string, string>>;
  /** Current results in order of entity and check, in pages (keyset after the given entity and check). */
  readCurrent(
    after: [string, string] | undefined,
    limit: number,
  ): Promise<StoredResult[]>;
  /** Records the policy pack versions in use: a ledger record for each new, changed or removed pack. */
  recordPolicyPacks(packs: PolicyPackVersion[], at: string): Promise<number>;
  saveCheckpoint(checkpoint: SignedCheckpoint): Promise<void>;
  listCheckpoints(): Promise<SignedCheckpoint[]>;

  /**
   * Claims a one-time job across replicas: true for the one claimant whose claim went in first, false for every
   * other (the job is claimed, running or finished).
   */
  claimJob(name: string, claimant: string, at: string): Promise<boolean>;
  /** The claim of a one-time job, if it was claimed. */
  getJobClaim(
    name: string,
  ): Promise<
    { claimant: string; claimedAt: string; finishedAt?: string } | undefined
  >;
  /** Marks a claimed job finished. */
  finishJob(name: string, at: string): Promise<void>;

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
