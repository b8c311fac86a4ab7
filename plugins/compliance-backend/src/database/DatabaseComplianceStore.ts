import {
  DatabaseService,
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  Exemption,
  Fact,
  GateEvaluationRecord,
  HistoryEntry,
} from '@internal/plugin-compliance-common';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  canonicalJson,
  hashOf,
  LedgerKind,
  ledgerText,
  recordMac,
  resultText,
  rotationEndorsement,
  rotationSeal,
  sha256,
} from '../service/hashing';
import { HistoryKeys } from '../service/historyKeys';
import { migrateLatest } from './migrate';
import {
  ChainRecord,
  ComplianceStore,
  EntitySummary,
  EvaluationWrite,
  ExemptionFilter,
  LedgerRecord,
  PolicyPackVersion,
  ResultChange,
  SignedCheckpoint,
  StateKind,
  StoredResult,
} from './ComplianceStore';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-compliance-backend',
  'migrations',
);

// knex writes multi-row inserts on SQLite as one compound SELECT, which SQLite caps at 500 terms.
const INSERT_CHUNK = 400;

/** The part of a better-sqlite3 connection bulk inserts use. */
interface BetterSqliteConnection {
  prepare(sql: string): { run(values: unknown[]): unknown };
}
const WHERE_IN_CHUNK = 500;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

type HistoryRow = {
  seq: number | string;
  entity_ref: string;
  check_id: string;
  status: string;
  previous_status: string | null;
  message: string | null;
  pack_name: string;
  pack_version: string;
  rule_hash: string;
  facts_hash: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
  key_id?: string | null;
};

function toHistoryEntry(row: HistoryRow): HistoryEntry & { prevHash: string } {
  return {
    seq: Number(row.seq),
    entityRef: row.entity_ref,
    checkId: row.check_id,
    status: row.status,
    previousStatus: row.previous_status ?? undefined,
    message: row.message ?? undefined,
    packName: row.pack_name,
    packVersion: row.pack_version,
    ruleHash: row.rule_hash,
    factsHash: row.facts_hash,
    recordedAt: row.recorded_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The columns of each state table that its ledger records cover, in the order the canonical text lists them. The
 * ledger body of a record is the canonical JSON of these columns as stored (absent values as null), so verify can
 * compare a row with the newest record about it without parsing anything. `expiry_notified_at` is bookkeeping of
 * reminders, not a decision, and is left out.
 */
const STATE_TABLES: Record<
  StateKind,
  {
    table: string;
    id: string;
    columns: string[];
    /**
     * Columns added after records were chained: in the body only when set, so the bodies of older records (which
     * never had them) still match their rows, and setting or clearing one later is a difference verify reports.
     */
    optionalColumns?: string[];
  }
> = {
  exemption: {
    table: 'compliance_exemptions',
    id: 'id',
    columns: [
      'id',
      'kind',
      'entity_ref',
      'check_id',
      'justification',
      'compensating_control',
      'requested_by',
      'requested_at',
      'expires_at',
      'status',
      'decided_by',
      'decided_at',
      'decision_note',
    ],
    // What a gate approval approves (issue 10): sealed with the request.
    optionalColumns: ['subject'],
  },
  'gate-evaluation': {
    table: 'compliance_gate_evaluations',
    id: 'id',
    columns: [
      'id',
      'entity_ref',
      'decision',
      'evaluation',
      'reasons',
      'task_id',
      'template_ref',
      'recorded_by',
      'recorded_at',
    ],
  },
  'policy-pack': {
    table: 'compliance_policy_packs',
    id: 'name',
    columns: ['name', 'version', 'file', 'digest', 'definition', 'loaded_at'],
  },
};

function stateText(kind: StateKind, row: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const column of STATE_TABLES[kind].columns)
    out[column] = row[column] ?? null;
  for (const column of STATE_TABLES[kind].optionalColumns ?? []) {
    if (row[column] !== null && row[column] !== undefined)
      out[column] = row[column];
  }
  return canonicalJson(out);
}

/** The head of the chain while a transaction appends to it. */
interface Head {
  seq: number;
  hash: string;
  legacyPending: boolean;
  /** The key that seals the next record; null before the first record sealed with a key id. */
  keyId: string | null;
  /** Records written before key ids were recorded have none yet. */
  keyIdsPending: boolean;
}

type LedgerRow = {
  seq: number | string;
  kind: LedgerKind;
  record_id: string;
  event: string;
  entity_ref: string | null;
  body: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
  key_id: string | null;
};

function toLedgerRecord(row: LedgerRow): LedgerRecord {
  return {
    seq: Number(row.seq),
    kind: row.kind,
    recordId: row.record_id,
    event: row.event,
    entityRef: row.entity_ref ?? undefined,
    body: JSON.parse(row.body),
    recordedAt: row.recorded_at,
    hash: row.hash,
  };
}

function ledgerToChain(row: LedgerRow): ChainRecord {
  return {
    seq: Number(row.seq),
    kind: row.kind,
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id ?? null,
    text: ledgerText({
      recordId: row.record_id,
      event: row.event,
      entityRef: row.entity_ref,
      recordedAt: row.recorded_at,
      body: row.body,
    }),
    body: row.body,
    recordedAt: row.recorded_at,
    recordId: row.record_id,
    event: row.event,
    entityRef: row.entity_ref ?? undefined,
  };
}

function historyToChain(row: HistoryRow): ChainRecord {
  const entry = toHistoryEntry(row);
  return {
    seq: entry.seq,
    kind: 'result',
    prevHash: entry.prevHash,
    hash: entry.hash,
    keyId: row.key_id ?? null,
    text: resultText({
      ...entry,
      previousStatus: row.previous_status,
      message: row.message,
    }),
    recordedAt: entry.recordedAt,
    entityRef: entry.entityRef,
    result: entry,
  };
}

/** An exemption from its columns: a row of compliance_exemptions, or the body of one of its ledger records. */
export function toExemption(row: any): Exemption {
  return {
    id: row.id,
    kind: row.kind,
    entityRef: row.entity_ref,
    checkId: row.check_id,
    justification: row.justification,
    compensatingControl: row.compensating_control,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    status: row.status,
    decidedBy: row.decided_by ?? undefined,
    decidedAt: row.decided_at ?? undefined,
    decisionNote: row.decision_note ?? undefined,
    ...(row.subject ? { subject: JSON.parse(row.subject) } : {}),
  };
}

function toSummary(row: any): EntitySummary {
  return {
    entityRef: row.entity_ref,
    ownerRef: row.owner_ref ?? undefined,
    etag: row.etag ?? undefined,
    score: Number(row.score),
    level: row.level,
    controls: JSON.parse(row.controls),
    evaluatedAt: row.evaluated_at,
    digest: row.digest,
  };
}

function toStored(row: any): StoredResult {
  return {
    entityRef: row.entity_ref,
    checkId: row.check_id,
    packName: row.pack_name,
    packVersion: row.pack_version,
    ruleHash: row.rule_hash,
    factsHash: row.facts_hash,
    status: row.status,
    message: row.message ?? undefined,
    since: row.since,
  };
}

/** The digest of an entity's results: equal digests mean nothing changed. */
function digestOf(write: EvaluationWrite): string {
  // Canonical JSON (keys in sorted order, values flat) without sorting keys: it runs for every entity of every run.
  return sha256(
    JSON.stringify({
      factsHash: write.factsHash,
      owner: write.ownerRef ?? null,
      results: write.evaluation.results
        .filter(r => r.status !== 'not_applicable')
        .map(r => [
          r.checkId,
          r.status,
          r.message ?? null,
          r.packVersion,
          write.ruleHashes.get(r.checkId) ?? '',
        ]),
    }),
  );
}

/** The knex implementation of {@link ComplianceStore}. */
export class DatabaseComplianceStore implements ComplianceStore {
  /**
   * Migrates, then re-anchors history written before the keyed ledger (once; it needs the key, migrations do not
   * have it).
   */
  static async create(options: {
    database: DatabaseService;
    keys: HistoryKeys;
    logger?: LoggerService;
  }): Promise<DatabaseComplianceStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateLatest(client, migrationsDir);
    }
    const store = new DatabaseComplianceStore(client, options.keys);
    const rotation = await store.prepareHistory(new Date().toISOString());
    if (rotation) {
      // Key ids only: fingerprints of public keys, never the secrets.
      options.logger?.info(
        `Rotated the compliance history key from ${rotation.from} to ${options.keys.keyId} at seq ${rotation.seq}; ${rotation.from} is kept for verification only`,
      );
    }
    return store;
  }

  /** For tests and benchmarks that bring their own knex; keys default to fresh random ones. */
  static async fromKnex(
    knex: Knex,
    options: { keys?: HistoryKeys; skipAnchor?: boolean } = {},
  ): Promise<DatabaseComplianceStore> {
    await migrateLatest(knex, migrationsDir);
    const store = new DatabaseComplianceStore(
      knex,
      options.keys ?? HistoryKeys.generate(),
    );
    if (!options.skipAnchor)
      await store.prepareHistory(new Date().toISOString());
    return store;
  }

  private readonly isPostgres: boolean;
  private appendListener?: () => void;

  private constructor(
    private readonly db: Knex,
    private readonly keys: HistoryKeys,
  ) {
    this.isPostgres = db.client.config.client === 'pg';
  }

  /**
   * Limits a read of compliance_history or compliance_ledger to the records of the chain: seq from 1 to the chain
   * head's seq. Verify walks exactly those (chain.ts), so a row put in with seq 0, a negative or NULL seq, or a seq
   * beyond the head is never read and trusted by the app (a grace period, an exempting decision in an export); verify
   * names such rows (readOffChain). Every reader of the two tables goes through here.
   */
  private chained<Q extends Knex.QueryBuilder>(query: Q, column = 'seq'): Q {
    return query
      .where(column, '>=', 1)
      .where(
        column,
        '<=',
        this.db('compliance_chain_head').select('last_seq').where({ id: 1 }),
      ) as Q;
  }

  /** Called after every committed write that appended to the chain (to publish a checkpoint). */
  onAppended(listener: () => void): void {
    this.appendListener = listener;
  }

  /**
   * Runs `write` in a transaction holding the head of the chain: appends are serialised across replicas (row lock on
   * PostgreSQL; SQLite serialises write transactions anyway and has no row locks). The head is saved if it moved.
   * A replica whose key is not the one in force (the history was rotated to a newer key while it ran) refuses to
   * write: what it sealed would be named by verify as sealed by a retired key.
   */
  private async append<T>(
    write: (trx: Knex.Transaction, head: Head) => Promise<T>,
    options: { adoptingKey?: boolean } = {},
  ): Promise<T> {
    let appended = false;
    const result = await this.db.transaction(async trx => {
      const query = trx('compliance_chain_head').where({ id: 1 });
      const row = await (this.isPostgres ? query.forUpdate() : query).first();
      const head: Head = {
        seq: Number(row.last_seq),
        hash: row.last_hash,
        legacyPending: Boolean(row.legacy_pending),
        keyId: row.key_id ?? null,
        keyIdsPending: Boolean(row.key_ids_pending),
      };
      if (!options.adoptingKey) {
        if (head.keyIdsPending) {
          throw new Error(
            'The compliance history has records without key ids: the backend fills them in when it starts (DatabaseComplianceStore.create)',
          );
        }
        if (head.keyId && head.keyId !== this.keys.keyId) {
          throw new Error(
            `The compliance history is sealed with key ${head.keyId}, not this backend's key ${this.keys.keyId}: the key was rotated while this replica ran. Restart it with the current FORGE_HISTORY_KEY (docs/operations.md, rotating the history key)`,
          );
        }
        head.keyId = this.keys.keyId;
      }
      const before = head.seq;
      const out = await write(trx, head);
      if (
        head.seq !== before ||
        !head.legacyPending !== !row.legacy_pending ||
        head.keyId !== (row.key_id ?? null) ||
        !head.keyIdsPending !== !row.key_ids_pending
      ) {
        await trx('compliance_chain_head').where({ id: 1 }).update({
          last_seq: head.seq,
          last_hash: head.hash,
          legacy_pending: head.legacyPending,
          key_id: head.keyId,
          key_ids_pending: head.keyIdsPending,
        });
        appended = head.seq !== before;
      }
      return out;
    });
    if (appended) this.appendListener?.();
    return result;
  }

  /** The next ledger record (not a result) after `head`, which it advances. */
  private ledgerRow(
    head: Head,
    record: {
      kind: Exclude<LedgerKind, 'result'>;
      recordId: string;
      event: string;
      entityRef?: string | null;
      body: string;
      at: string;
    },
    seal: (prevHash: string, seq: number, text: string) => string = (
      prevHash,
      seq,
      text,
    ) => recordMac(this.keys.macKey, prevHash, seq, record.kind, text),
  ): LedgerRow {
    const seq = head.seq + 1;
    const hash = seal(
      head.hash,
      seq,
      ledgerText({
        recordId: record.recordId,
        event: record.event,
        entityRef: record.entityRef,
        recordedAt: record.at,
        body: record.body,
      }),
    );
    const row: LedgerRow = {
      key_id: head.keyId,
      seq,
      kind: record.kind,
      record_id: record.recordId,
      event: record.event,
      entity_ref: record.entityRef ?? null,
      body: record.body,
      recorded_at: record.at,
      prev_hash: head.hash,
      hash,
    };
    head.seq = seq;
    head.hash = hash;
    return row;
  }

  /**
   * History written before the keyed ledger was chained with plain SHA-256 and exemptions and gate evaluations were
   * not chained at all. The first start with the key appends a keyed anchor record holding the old chain's length
   * and head hash (so the old records cannot be changed from then on without breaking it), then one record per
   * existing exemption and gate evaluation as it stands. Returns whether it anchored.
   */
  /** What every start does before anything is written: key ids, key rotation, the legacy anchor. */
  async prepareHistory(
    at: string,
  ): Promise<{ seq: number; from: string } | undefined> {
    const rotation = await this.adoptKey(at);
    await this.anchorLegacy(at);
    return rotation;
  }

  /**
   * Makes this backend's key the one in force. Records written before key ids get the id of the key that sealed
   * them (the one whose HMAC holds for the newest record). If the key in force is one of this backend's retired
   * keys, the history is rotated: a `key-rotation` record naming both keys, sealed by both (hashing.ts rotationSeal)
   * and endorsing the new public key with the retiring signing key, after which only the new key seals records.
   * Any other key in force stops the start with what to configure. Returns the rotation's seq, if it rotated.
   */
  async adoptKey(
    at: string,
  ): Promise<{ seq: number; from: string } | undefined> {
    return this.append(
      async (trx, head) => {
        const keys = this.keys;
        if (head.keyIdsPending) {
          const sealer = head.legacyPending
            ? keys
            : await this.keyOfRecord(trx, head.seq);
          if (!head.legacyPending) {
            for (const table of ['compliance_history', 'compliance_ledger'])
              await trx(table)
                .whereNull('key_id')
                .update({ key_id: sealer.keyId });
          }
          head.keyId = sealer.keyId;
          head.keyIdsPending = false;
        }
        head.keyId ??= keys.keyId;
        if (head.keyId === keys.keyId) return undefined;
        const retiring = keys.byId(head.keyId);
        if (!retiring) {
          throw new Error(
            `The compliance history is sealed with key ${
              head.keyId
            }, which is neither this backend's key (${
              keys.keyId
            }) nor one of its retired keys (${
              keys.retired.map(k => k.keyId).join(', ') || 'none configured'
            }). To rotate, put the previous FORGE_HISTORY_KEY in FORGE_HISTORY_RETIRED_KEYS (forge.compliance.history.retiredKeys) and the new one in FORGE_HISTORY_KEY; if this replica is older than a rotation, start it with the current key (docs/operations.md)`,
          );
        }
        // Records written without a key id since key ids exist (by replicas of the previous release, during the
        // rolling upgrade that added them) were sealed by the retiring key; from the rotation on none may lack one.
        for (const table of ['compliance_history', 'compliance_ledger'])
          await trx(table)
            .whereNull('key_id')
            .update({ key_id: retiring.keyId });
        const toPublicKey = keys.publicKeyPem();
        const rotation = {
          fromKeyId: retiring.keyId,
          toKeyId: keys.keyId,
          toPublicKey,
        };
        head.keyId = keys.keyId;
        const row = this.ledgerRow(
          head,
          {
            kind: 'key-rotation',
            recordId: keys.keyId,
            event: 'rotated',
            body: canonicalJson({
              ...rotation,
              endorsement: retiring.sign(rotationEndorsement(rotation)),
            }),
            at,
          },
          (prevHash, seq, text) =>
            rotationSeal(retiring.macKey, keys.macKey, prevHash, seq, text),
        );
        await this.insertRows(trx, 'compliance_ledger', [row]);
        return { seq: Number(row.seq), from: retiring.keyId };
      },
      { adoptingKey: true },
    );
  }

  /** The key (current or retired) whose HMAC holds for the record at `seq`; a clear error if none does. */
  private async keyOfRecord(trx: Knex, seq: number): Promise<HistoryKeys> {
    const [ledger] = await trx<LedgerRow>('compliance_ledger').where({ seq });
    const [result] = ledger
      ? []
      : await trx<HistoryRow>('compliance_history').where({ seq });
    const record = ledger
      ? ledgerToChain(ledger)
      : result && historyToChain(result);
    const candidates = [this.keys, ...this.keys.retired];
    const sealer =
      record &&
      candidates.find(
        k =>
          recordMac(
            k.macKey,
            record.prevHash,
            record.seq,
            record.kind,
            record.text,
          ) === record.hash,
      );
    if (!sealer) {
      throw new Error(
        `The newest record of the compliance history (seq ${seq}) is not sealed by the configured history key (${this.keys.keyIds.join(
          ', ',
        )}): set FORGE_HISTORY_KEY to the key the history was written with (or, if you are rotating, put that key in FORGE_HISTORY_RETIRED_KEYS), then run verify (docs/operations.md)`,
      );
    }
    return sealer;
  }

  async anchorLegacy(at: string): Promise<boolean> {
    return this.append(async (trx, head) => {
      if (!head.legacyPending) return false;
      const rows: LedgerRow[] = [
        this.ledgerRow(head, {
          kind: 'anchor',
          recordId: 'legacy',
          event: 'anchored',
          body: canonicalJson({
            legacyHead: head.hash,
            legacyThroughSeq: head.seq,
            scheme: 'sha256-chain',
          }),
          at,
        }),
      ];
      for (const kind of ['exemption', 'gate-evaluation'] as const) {
        const { table, id } = STATE_TABLES[kind];
        for (const row of await trx(table).orderBy(id)) {
          rows.push(
            this.ledgerRow(head, {
              kind,
              recordId: row[id],
              event: 'imported',
              entityRef: row.entity_ref,
              body: stateText(kind, row),
              at,
            }),
          );
        }
      }
      await this.insertRows(trx, 'compliance_ledger', rows);
      head.legacyPending = false;
      return true;
    });
  }

  async applyEvaluations(
    writes: EvaluationWrite[],
    evaluatedAt: string,
  ): Promise<{ changes: ResultChange[] }> {
    const changes: ResultChange[] = [];
    if (writes.length === 0) return { changes };

    const existing = new Map<string, EntitySummary>();
    for (const part of chunks(
      writes.map(w => w.entityRef),
      WHERE_IN_CHUNK,
    )) {
      const rows = await this.db('compliance_entities').whereIn(
        'entity_ref',
        part,
      );
      for (const row of rows) existing.set(row.entity_ref, toSummary(row));
    }

    const unchanged: string[] = [];
    const changed: Array<{
      write: EvaluationWrite;
      digest: string;
      previous?: EntitySummary;
    }> = [];
    for (const write of writes) {
      const digest = digestOf(write);
      const previous = existing.get(write.entityRef);
      if (
        previous &&
        previous.digest === digest &&
        previous.etag === (write.etag ?? undefined)
      ) {
        unchanged.push(write.entityRef);
      } else {
        changed.push({ write, digest, previous });
      }
    }

    await this.append(async (trx, head) => {
      for (const part of chunks(unchanged, WHERE_IN_CHUNK)) {
        await trx('compliance_entities')
          .whereIn('entity_ref', part)
          .update({ evaluated_at: evaluatedAt });
      }
      if (changed.length === 0) return;

      const current = new Map<string, Map<string, StoredResult>>();
      for (const part of chunks(
        changed.map(c => c.write.entityRef),
        WHERE_IN_CHUNK,
      )) {
        for (const row of await trx('compliance_current').whereIn(
          'entity_ref',
          part,
        )) {
          const stored = toStored(row);
          if (!current.has(stored.entityRef))
            current.set(stored.entityRef, new Map());
          current.get(stored.entityRef)!.set(stored.checkId, stored);
        }
      }

      const history: HistoryRow[] = [];
      const upserts: any[] = [];
      const deletes: Array<[string, string]> = [];
      const summaries: any[] = [];
      const summaryHistory: any[] = [];
      const appendResult = (fields: {
        entityRef: string;
        checkId: string;
        status: string;
        previousStatus: string | null;
        message: string | null;
        packName: string;
        packVersion: string;
        ruleHash: string;
        factsHash: string;
        recordedAt: string;
      }) => {
        const seq = head.seq + 1;
        const hash = recordMac(
          this.keys.macKey,
          head.hash,
          seq,
          'result',
          resultText(fields),
        );
        history.push({
          seq,
          entity_ref: fields.entityRef,
          check_id: fields.checkId,
          status: fields.status,
          previous_status: fields.previousStatus,
          message: fields.message,
          pack_name: fields.packName,
          pack_version: fields.packVersion,
          rule_hash: fields.ruleHash,
          facts_hash: fields.factsHash,
          recorded_at: fields.recordedAt,
          prev_hash: head.hash,
          hash,
          key_id: head.keyId,
        });
        head.seq = seq;
        head.hash = hash;
      };

      for (const { write, digest, previous } of changed) {
        const before =
          current.get(write.entityRef) ?? new Map<string, StoredResult>();
        const seen = new Set<string>();
        for (const result of write.evaluation.results) {
          const old = before.get(result.checkId);
          const ruleHash = write.ruleHashes.get(result.checkId) ?? '';
          if (result.status === 'not_applicable') {
            if (!old) continue;
          } else {
            seen.add(result.checkId);
            if (
              old &&
              old.status === result.status &&
              (old.message ?? null) === (result.message ?? null) &&
              old.ruleHash === ruleHash &&
              old.packVersion === result.packVersion
            ) {
              // The same result from other facts (a new scan that changes no verdict) is no change of the
              // result: the current row follows the facts, history does not grow.
              if (old.factsHash !== write.factsHash) {
                upserts.push({
                  entity_ref: write.entityRef,
                  check_id: result.checkId,
                  pack_name: result.packName,
                  pack_version: result.packVersion,
                  rule_hash: ruleHash,
                  facts_hash: write.factsHash,
                  status: result.status,
                  message: result.message ?? null,
                  since: old.since,
                });
              }
              continue;
            }
          }
          appendResult({
            entityRef: write.entityRef,
            checkId: result.checkId,
            status: result.status,
            previousStatus: old?.status ?? null,
            message: result.message ?? null,
            packName: result.packName,
            packVersion: result.packVersion,
            ruleHash,
            factsHash: write.factsHash,
            recordedAt: evaluatedAt,
          });
          if (old?.status !== result.status) {
            changes.push({
              entityRef: write.entityRef,
              ownerRef: write.ownerRef,
              checkId: result.checkId,
              severity: result.severity,
              from: old?.status,
              to: result.status,
            });
          }
          if (result.status === 'not_applicable') {
            deletes.push([write.entityRef, result.checkId]);
          } else {
            upserts.push({
              entity_ref: write.entityRef,
              check_id: result.checkId,
              pack_name: result.packName,
              pack_version: result.packVersion,
              rule_hash: ruleHash,
              facts_hash: write.factsHash,
              status: result.status,
              message: result.message ?? null,
              since: old?.status === result.status ? old.since : evaluatedAt,
            });
          }
        }
        // Checks that vanished from the packs are closed in history as not applicable.
        for (const [checkId, old] of before) {
          if (
            seen.has(checkId) ||
            write.evaluation.results.some(r => r.checkId === checkId)
          )
            continue;
          appendResult({
            entityRef: write.entityRef,
            checkId,
            status: 'not_applicable',
            previousStatus: old.status,
            message: 'check no longer in any policy pack',
            packName: old.packName,
            packVersion: old.packVersion,
            ruleHash: old.ruleHash,
            factsHash: write.factsHash,
            recordedAt: evaluatedAt,
          });
          deletes.push([write.entityRef, checkId]);
        }

        const failing = write.evaluation.results.filter(
          r => r.status === 'fail' || r.status === 'error',
        ).length;
        summaries.push({
          entity_ref: write.entityRef,
          owner_ref: write.ownerRef ?? null,
          etag: write.etag ?? null,
          score: write.evaluation.score,
          level: write.evaluation.level,
          controls: JSON.stringify(write.evaluation.controls),
          evaluated_at: evaluatedAt,
          digest,
        });
        if (
          !previous ||
          previous.score !== write.evaluation.score ||
          previous.level !== write.evaluation.level ||
          previous.ownerRef !== write.ownerRef
        ) {
          summaryHistory.push({
            entity_ref: write.entityRef,
            owner_ref: write.ownerRef ?? null,
            score: write.evaluation.score,
            level: write.evaluation.level,
            failing,
            recorded_at: evaluatedAt,
          });
        }
      }

      await this.insertRows(trx, 'compliance_history', history);
      await this.insertRows(trx, 'compliance_current', upserts, {
        keys: ['entity_ref', 'check_id'],
        merge: [
          'pack_name',
          'pack_version',
          'rule_hash',
          'facts_hash',
          'status',
          'message',
          'since',
        ],
      });
      for (const [entityRef, checkId] of deletes) {
        await trx('compliance_current')
          .where({ entity_ref: entityRef, check_id: checkId })
          .delete();
      }
      await this.insertRows(trx, 'compliance_entities', summaries, {
        keys: ['entity_ref'],
        merge: [
          'owner_ref',
          'etag',
          'score',
          'level',
          'controls',
          'evaluated_at',
          'digest',
        ],
      });
      await this.insertRows(trx, 'compliance_summary_history', summaryHistory);
    });
    return { changes };
  }

  /**
   * Inserts rows (all with the same columns), updating `merge` where `keys` already exist. A first evaluation of a
   * large catalog writes hundreds of thousands of results: on SQLite (better-sqlite3, synchronous and in process)
   * one prepared statement run per row inside the transaction is several times faster than multi-row statements
   * knex builds and SQLite parses anew for every chunk. Other databases get multi-row statements.
   */
  private async insertRows(
    trx: Knex.Transaction,
    table: string,
    rows: Array<Record<string, unknown>>,
    conflict?: { keys: string[]; merge: string[] },
  ): Promise<void> {
    if (rows.length === 0) return;
    if (this.db.client.config.client === 'better-sqlite3') {
      const columns = Object.keys(rows[0]);
      const connection = await (
        trx as unknown as {
          client: { acquireConnection(): Promise<BetterSqliteConnection> };
        }
      ).client.acquireConnection();
      const quote = (name: string) => `"${name}"`;
      const upsert = conflict
        ? ` ON CONFLICT (${conflict.keys
            .map(quote)
            .join(', ')}) DO UPDATE SET ${conflict.merge
            .map(c => `${quote(c)} = excluded.${quote(c)}`)
            .join(', ')}`
        : '';
      const statement = connection.prepare(
        `INSERT INTO ${quote(table)} (${columns
          .map(quote)
          .join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${upsert}`,
      );
      for (const row of rows) {
        statement.run(
          columns.map(c => {
            const value = row[c];
            return typeof value === 'boolean' ? Number(value) : value ?? null;
          }),
        );
      }
      return;
    }
    for (const part of chunks(rows, INSERT_CHUNK)) {
      const insert = trx(table).insert(part);
      if (conflict)
        await insert.onConflict(conflict.keys).merge(conflict.merge);
      else await insert;
    }
  }

  async removeEntities(entityRefs: string[], at: string): Promise<void> {
    if (entityRefs.length === 0) return;
    const writes: EvaluationWrite[] = [];
    for (const part of chunks(entityRefs, WHERE_IN_CHUNK)) {
      const rows = await this.db('compliance_entities').whereIn(
        'entity_ref',
        part,
      );
      for (const row of rows) {
        writes.push({
          entityRef: row.entity_ref,
          ownerRef: row.owner_ref ?? undefined,
          evaluation: {
            entityRef: row.entity_ref,
            evaluatedAt: at,
            score: 100,
            level: 'none',
            results: [],
            controls: {},
          },
          ruleHashes: new Map(),
          factsHash: 'removed',
        });
      }
    }
    // Close every open result in history, then drop the entity's current state.
    await this.applyEvaluations(writes, at);
    for (const part of chunks(entityRefs, WHERE_IN_CHUNK)) {
      await this.db('compliance_entities').whereIn('entity_ref', part).delete();
    }
  }

  async listSummaries(): Promise<EntitySummary[]> {
    return (await this.db('compliance_entities')).map(toSummary);
  }

  async getSummary(entityRef: string): Promise<EntitySummary | undefined> {
    const row = await this.db('compliance_entities')
      .where({ entity_ref: entityRef })
      .first();
    return row ? toSummary(row) : undefined;
  }

  async getCurrent(entityRef: string): Promise<StoredResult[]> {
    return (
      await this.db('compliance_current').where({ entity_ref: entityRef })
    ).map(toStored);
  }

  async listCurrentFailing(entityRefs?: string[]): Promise<StoredResult[]> {
    const query = () =>
      this.db('compliance_current').whereIn('status', ['fail', 'error']);
    if (!entityRefs) return (await query()).map(toStored);
    const out: StoredResult[] = [];
    for (const part of chunks(entityRefs, WHERE_IN_CHUNK)) {
      out.push(...(await query().whereIn('entity_ref', part)).map(toStored));
    }
    return out;
  }

  async listCurrentPending(): Promise<StoredResult[]> {
    return (await this.db('compliance_current').where('status', 'pending')).map(
      toStored,
    );
  }

  async firstEvaluatedAt(entityRefs: string[]): Promise<Map<string, string>> {
    const first = new Map<string, string>();
    for (const part of chunks(entityRefs, WHERE_IN_CHUNK)) {
      const rows: Array<{ entity_ref: string; first: string }> = await this.db(
        'compliance_summary_history',
      )
        .whereIn('entity_ref', part)
        .groupBy('entity_ref')
        .select('entity_ref')
        .min({ first: 'recorded_at' });
      for (const row of rows) first.set(row.entity_ref, row.first);
    }
    return first;
  }

  async stateAsOf(
    asOf: string,
    entityRefs?: string[],
  ): Promise<HistoryEntry[]> {
    const latest = (refs?: string[]) => {
      const inner = this.chained(
        this.db('compliance_history')
          .select('entity_ref', 'check_id')
          .max({ seq: 'seq' })
          .where('recorded_at', '<=', asOf)
          .groupBy('entity_ref', 'check_id'),
      );
      if (refs) inner.whereIn('entity_ref', refs);
      return this.db('compliance_history as h')
        .join(inner.as('l'), 'h.seq', 'l.seq')
        .select('h.*')
        .whereNot('h.status', 'not_applicable');
    };
    if (!entityRefs) return (await latest()).map(toHistoryEntry);
    const out: HistoryEntry[] = [];
    for (const part of chunks(entityRefs, WHERE_IN_CHUNK))
      out.push(...(await latest(part)).map(toHistoryEntry));
    return out;
  }

  async summariesAsOf(asOf: string) {
    const inner = this.db('compliance_summary_history')
      .select('entity_ref')
      .max({ id: 'id' })
      .where('recorded_at', '<=', asOf)
      .groupBy('entity_ref');
    const rows = await this.db('compliance_summary_history as s')
      .join(inner.as('l'), 's.id', 'l.id')
      .select('s.*');
    return rows.map((r: any) => ({
      entityRef: r.entity_ref,
      ownerRef: r.owner_ref ?? undefined,
      score: Number(r.score),
      level: r.level,
      failing: Number(r.failing),
    }));
  }

  async listHistory(entityRef: string, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.chained(
      this.db('compliance_history')
        .where({ entity_ref: entityRef })
        .orderBy('seq', 'desc')
        .limit(limit),
    );
    return rows.map(toHistoryEntry);
  }

  async countHistory(): Promise<number> {
    const [{ count }] = await this.chained(
      this.db('compliance_history').count({ count: '*' }),
    );
    return Number(count);
  }

  async chainHead(): Promise<{ seq: number; hash: string; keyId?: string }> {
    const row = await this.db('compliance_chain_head').where({ id: 1 }).first();
    return {
      seq: Number(row.last_seq),
      hash: row.last_hash,
      ...(row.key_id ? { keyId: row.key_id } : {}),
    };
  }

  async readChain(afterSeq: number, limit: number): Promise<ChainRecord[]> {
    const [results, ledger] = await Promise.all([
      this.db<HistoryRow>('compliance_history')
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit),
      this.db<LedgerRow>('compliance_ledger')
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit),
    ]);
    // A full page of one table may end before the other's: only records up to the lower end are complete.
    let bound = Infinity;
    if (results.length === limit)
      bound = Math.min(bound, Number(results[results.length - 1].seq));
    if (ledger.length === limit)
      bound = Math.min(bound, Number(ledger[ledger.length - 1].seq));
    return [...results.map(historyToChain), ...ledger.map(ledgerToChain)]
      .filter(r => r.seq <= bound)
      .sort((a, b) => a.seq - b.seq);
  }

  async readOffChain(
    limit: number,
  ): Promise<Array<{ seq: number | null; record: ChainRecord }>> {
    const below = (table: string) =>
      this.db(table)
        .where(q => q.whereNull('seq').orWhere('seq', '<', 1))
        .orderBy('seq')
        .limit(limit);
    const [results, ledger] = await Promise.all([
      below('compliance_history'),
      below('compliance_ledger'),
    ]);
    const seqOf = (row: { seq: unknown }) =>
      row.seq === null || row.seq === undefined ? null : Number(row.seq);
    return [
      ...results.map((row: HistoryRow) => ({
        seq: seqOf(row),
        record: historyToChain(row),
      })),
      ...ledger.map((row: LedgerRow) => ({
        seq: seqOf(row),
        record: ledgerToChain(row),
      })),
    ];
  }

  async findAnchor(): Promise<ChainRecord | undefined> {
    const row = await this.chained(
      this.db<LedgerRow>('compliance_ledger')
        .where({ kind: 'anchor' })
        .orderBy('seq'),
    ).first();
    return row ? ledgerToChain(row as LedgerRow) : undefined;
  }

  async listLedger(kind: LedgerKind, asOf?: string): Promise<LedgerRecord[]> {
    const query = this.chained(
      this.db<LedgerRow>('compliance_ledger').where({ kind }).orderBy('seq'),
    );
    if (asOf) query.where('recorded_at', '<=', asOf);
    return (await query).map(toLedgerRecord);
  }

  async listLedgerFor(
    kind: LedgerKind,
    entityRefs: string[],
  ): Promise<LedgerRecord[]> {
    const rows: LedgerRow[] = [];
    for (const part of chunks([...new Set(entityRefs)], WHERE_IN_CHUNK))
      rows.push(
        ...(await this.chained(
          this.db<LedgerRow>('compliance_ledger')
            .where({ kind })
            .whereIn('entity_ref', part),
        )),
      );
    return rows.map(toLedgerRecord).sort((a, b) => a.seq - b.seq);
  }

  async readState(kind: StateKind): Promise<Map<string, string>> {
    const { table, id } = STATE_TABLES[kind];
    const out = new Map<string, string>();
    for (const row of await this.db(table))
      out.set(row[id], stateText(kind, row));
    return out;
  }

  async readCurrent(
    after: [string, string] | undefined,
    limit: number,
  ): Promise<StoredResult[]> {
    const query = this.db('compliance_current')
      .orderBy([
        { column: 'entity_ref', order: 'asc' },
        { column: 'check_id', order: 'asc' },
      ])
      .limit(limit);
    if (after) {
      query.where(q =>
        q
          .where('entity_ref', '>', after[0])
          .orWhere(q2 =>
            q2
              .where('entity_ref', after[0])
              .andWhere('check_id', '>', after[1]),
          ),
      );
    }
    return (await query).map(toStored);
  }

  async recordPolicyPacks(
    packs: PolicyPackVersion[],
    at: string,
  ): Promise<number> {
    return this.append(async (trx, head) => {
      const stored = new Map<string, Record<string, unknown>>(
        (await trx('compliance_policy_packs')).map((r: any) => [r.name, r]),
      );
      const records: LedgerRow[] = [];
      for (const pack of packs) {
        const definition = canonicalJson(pack.definition);
        const row = {
          name: pack.name,
          version: pack.version,
          file: pack.file,
          digest: sha256(definition),
          definition,
          loaded_at: at,
        };
        const old = stored.get(pack.name);
        stored.delete(pack.name);
        if (
          old &&
          old.digest === row.digest &&
          old.version === row.version &&
          old.file === row.file
        )
          continue;
        await trx('compliance_policy_packs')
          .insert(row)
          .onConflict('name')
          .merge();
        records.push(
          this.ledgerRow(head, {
            kind: 'policy-pack',
            recordId: pack.name,
            event: 'loaded',
            body: stateText('policy-pack', row),
            at,
          }),
        );
      }
      // Packs no longer in use: the removal is recorded with the last version that was in use.
      for (const [name, old] of stored) {
        await trx('compliance_policy_packs').where({ name }).delete();
        records.push(
          this.ledgerRow(head, {
            kind: 'policy-pack',
            recordId: name,
            event: 'removed',
            body: stateText('policy-pack', old),
            at,
          }),
        );
      }
      await this.insertRows(trx, 'compliance_ledger', records);
      return records.length;
    });
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<void> {
    await this.db('compliance_checkpoints')
      .insert({
        seq: checkpoint.seq,
        head: checkpoint.head,
        at: checkpoint.at,
        key_id: checkpoint.keyId,
        signature: checkpoint.signature,
      })
      .onConflict('seq')
      .ignore();
  }

  async listCheckpoints(): Promise<SignedCheckpoint[]> {
    return (await this.db('compliance_checkpoints').orderBy('seq')).map(
      (r: any) => ({
        seq: Number(r.seq),
        head: r.head,
        at: r.at,
        keyId: r.key_id,
        signature: r.signature,
      }),
    );
  }

  async claimJob(name: string, claimant: string, at: string): Promise<boolean> {
    // The primary key decides: every replica inserts, one row goes in, and each reads back whose it is.
    await this.db('compliance_claims')
      .insert({ name, claimant, claimed_at: at })
      .onConflict('name')
      .ignore();
    return (await this.getJobClaim(name))?.claimant === claimant;
  }

  async getJobClaim(
    name: string,
  ): Promise<
    { claimant: string; claimedAt: string; finishedAt?: string } | undefined
  > {
    const row = await this.db('compliance_claims').where({ name }).first();
    return row
      ? {
          claimant: row.claimant,
          claimedAt: row.claimed_at,
          finishedAt: row.finished_at ?? undefined,
        }
      : undefined;
  }

  async finishJob(name: string, at: string): Promise<void> {
    await this.db('compliance_claims')
      .where({ name })
      .update({ finished_at: at });
  }

  async upsertFact(
    entityRef: string,
    fact: Fact,
    receivedFrom: string,
    receivedAt: string,
  ): Promise<void> {
    await this.db('compliance_facts')
      .insert({
        entity_ref: entityRef,
        name: fact.name,
        collected_at: fact.collectedAt,
        source: fact.source ?? null,
        data: JSON.stringify(fact.data),
        hash: hashOf(fact),
        received_at: receivedAt,
        received_from: receivedFrom,
      })
      .onConflict(['entity_ref', 'name'])
      .merge([
        'collected_at',
        'source',
        'data',
        'hash',
        'received_at',
        'received_from',
      ]);
  }

  async listFacts(entityRefs?: string[]) {
    const rows: any[] = [];
    if (entityRefs) {
      for (const part of chunks(entityRefs, WHERE_IN_CHUNK)) {
        rows.push(
          ...(await this.db('compliance_facts').whereIn('entity_ref', part)),
        );
      }
    } else {
      rows.push(...(await this.db('compliance_facts')));
    }
    const out = new Map<string, Array<Fact & { hash: string }>>();
    for (const row of rows) {
      const list = out.get(row.entity_ref) ?? [];
      list.push({
        name: row.name,
        collectedAt: row.collected_at,
        source: row.source ?? undefined,
        data: JSON.parse(row.data),
        hash: row.hash,
      });
      out.set(row.entity_ref, list);
    }
    return out;
  }

  async createExemption(e: Exemption): Promise<void> {
    const row = {
      id: e.id,
      kind: e.kind,
      entity_ref: e.entityRef,
      check_id: e.checkId,
      justification: e.justification,
      compensating_control: e.compensatingControl,
      requested_by: e.requestedBy,
      requested_at: e.requestedAt,
      expires_at: e.expiresAt,
      status: e.status,
      decided_by: e.decidedBy ?? null,
      decided_at: e.decidedAt ?? null,
      decision_note: e.decisionNote ?? null,
      subject: e.subject ? canonicalJson(e.subject) : null,
    };
    await this.append(async (trx, head) => {
      await trx('compliance_exemptions').insert(row);
      await trx('compliance_ledger').insert(
        this.ledgerRow(head, {
          kind: 'exemption',
          recordId: e.id,
          event: 'requested',
          entityRef: e.entityRef,
          body: stateText('exemption', row),
          at: e.requestedAt,
        }),
      );
    });
  }

  async getExemption(id: string): Promise<Exemption | undefined> {
    const row = await this.db('compliance_exemptions').where({ id }).first();
    return row ? toExemption(row) : undefined;
  }

  async listExemptions(filter: ExemptionFilter): Promise<Exemption[]> {
    const query = this.db('compliance_exemptions').orderBy(
      'requested_at',
      'desc',
    );
    if (filter.entityRef) query.where('entity_ref', filter.entityRef);
    if (filter.checkId) query.where('check_id', filter.checkId);
    if (filter.status) query.where('status', filter.status);
    if (filter.kind) query.where('kind', filter.kind);
    return (await query).map(toExemption);
  }

  async transitionExemption(
    id: string,
    expected: Exemption['status'],
    update: {
      status: Exemption['status'];
      decidedBy: string;
      decidedAt: string;
      decisionNote?: string;
    },
  ): Promise<Exemption | undefined> {
    // The decision and its ledger record are written together, or neither is.
    return this.append(async (trx, head) => {
      const count = await trx('compliance_exemptions')
        .where({ id, status: expected })
        .update({
          status: update.status,
          decided_by: update.decidedBy,
          decided_at: update.decidedAt,
          decision_note: update.decisionNote ?? null,
        });
      if (count !== 1) return undefined;
      const row = await trx('compliance_exemptions').where({ id }).first();
      await trx('compliance_ledger').insert(
        this.ledgerRow(head, {
          kind: 'exemption',
          recordId: id,
          event: update.status,
          entityRef: row.entity_ref,
          body: stateText('exemption', row),
          at: update.decidedAt,
        }),
      );
      return toExemption(row);
    });
  }

  async listExpiringUnnotified(
    now: string,
    before: string,
  ): Promise<Exemption[]> {
    const rows = await this.db('compliance_exemptions')
      .where({ status: 'approved' })
      .whereNull('expiry_notified_at')
      .where('expires_at', '>', now)
      .where('expires_at', '<=', before);
    return rows.map(toExemption);
  }

  async markExpiryNotified(id: string, at: string): Promise<void> {
    await this.db('compliance_exemptions')
      .where({ id })
      .update({ expiry_notified_at: at });
  }

  async recordGateEvaluation(
    record: GateEvaluationRecord,
    recordedBy: string,
    recordedAt: string,
  ): Promise<string> {
    const id = randomUUID();
    const row = {
      id,
      entity_ref: record.entityRef,
      decision: record.decision,
      evaluation: JSON.stringify(record.evaluation),
      reasons: JSON.stringify(record.reasons ?? []),
      task_id: record.taskId ?? null,
      template_ref: record.templateRef ?? null,
      recorded_by: recordedBy,
      recorded_at: recordedAt,
    };
    await this.append(async (trx, head) => {
      await trx('compliance_gate_evaluations').insert(row);
      await trx('compliance_ledger').insert(
        this.ledgerRow(head, {
          kind: 'gate-evaluation',
          recordId: id,
          event: record.decision,
          entityRef: record.entityRef,
          body: stateText('gate-evaluation', row),
          at: recordedAt,
        }),
      );
    });
    return id;
  }

  async listGateEvaluations(entityRefs?: string | string[], asOf?: string) {
    const refs = typeof entityRefs === 'string' ? [entityRefs] : entityRefs;
    const rows: any[] = [];
    for (const chunk of refs ? chunks(refs, WHERE_IN_CHUNK) : [undefined]) {
      const query = this.db('compliance_gate_evaluations');
      if (chunk) query.whereIn('entity_ref', chunk);
      if (asOf) query.where('recorded_at', '<=', asOf);
      rows.push(...(await query));
    }
    rows.sort(
      (a, b) =>
        b.recorded_at.localeCompare(a.recorded_at) || a.id.localeCompare(b.id),
    );
    return rows.map((r: any) => ({
      id: r.id,
      entityRef: r.entity_ref,
      decision: r.decision,
      evaluation: JSON.parse(r.evaluation),
      reasons: JSON.parse(r.reasons),
      taskId: r.task_id ?? undefined,
      templateRef: r.template_ref ?? undefined,
      recordedBy: r.recorded_by,
      recordedAt: r.recorded_at,
    }));
  }
}
