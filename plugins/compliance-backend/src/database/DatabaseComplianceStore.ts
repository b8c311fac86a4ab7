import {
  DatabaseService,
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
import { chainHash, hashOf, sha256 } from '../service/hashing';
import {
  ComplianceStore,
  EntitySummary,
  EvaluationWrite,
  ExemptionFilter,
  ResultChange,
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

function toExemption(row: any): Exemption {
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
  static async create(options: {
    database: DatabaseService;
  }): Promise<DatabaseComplianceStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseComplianceStore(client);
  }

  /** For tests and benchmarks that bring their own knex. */
  static async fromKnex(knex: Knex): Promise<DatabaseComplianceStore> {
    await knex.migrate.latest({ directory: migrationsDir });
    return new DatabaseComplianceStore(knex);
  }

  private readonly isPostgres: boolean;

  private constructor(private readonly db: Knex) {
    this.isPostgres = db.client.config.client === 'pg';
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

    await this.db.transaction(async trx => {
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

      // Lock the head of the chain: appends are serialised across replicas.
      const headQuery = trx('compliance_chain_head').where({ id: 1 });
      // SQLite serialises write transactions anyway and has no row locks.
      const head = await (this.isPostgres
        ? headQuery.forUpdate()
        : headQuery
      ).first();
      let prevHash: string = head.last_hash;
      const history: Array<Omit<HistoryRow, 'seq'>> = [];
      const upserts: any[] = [];
      const deletes: Array<[string, string]> = [];
      const summaries: any[] = [];
      const summaryHistory: any[] = [];

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
              old.factsHash === write.factsHash &&
              old.packVersion === result.packVersion
            ) {
              continue;
            }
          }
          const fields = {
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
          };
          const hash = chainHash(prevHash, fields);
          history.push({
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
            prev_hash: prevHash,
            hash,
          });
          prevHash = hash;
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
          const fields = {
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
          };
          const hash = chainHash(prevHash, fields);
          history.push({
            entity_ref: fields.entityRef,
            check_id: checkId,
            status: fields.status,
            previous_status: fields.previousStatus,
            message: fields.message,
            pack_name: fields.packName,
            pack_version: fields.packVersion,
            rule_hash: fields.ruleHash,
            facts_hash: fields.factsHash,
            recorded_at: evaluatedAt,
            prev_hash: prevHash,
            hash,
          });
          prevHash = hash;
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
      await trx('compliance_chain_head')
        .where({ id: 1 })
        .update({ last_hash: prevHash });
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

  async stateAsOf(
    asOf: string,
    entityRefs?: string[],
  ): Promise<HistoryEntry[]> {
    const latest = (refs?: string[]) => {
      const inner = this.db('compliance_history')
        .select('entity_ref', 'check_id')
        .max({ seq: 'seq' })
        .where('recorded_at', '<=', asOf)
        .groupBy('entity_ref', 'check_id');
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
    const rows = await this.db('compliance_history')
      .where({ entity_ref: entityRef })
      .orderBy('seq', 'desc')
      .limit(limit);
    return rows.map(toHistoryEntry);
  }

  async countHistory(): Promise<number> {
    const [{ count }] = await this.db('compliance_history').count({
      count: '*',
    });
    return Number(count);
  }

  async readChain(afterSeq: number, limit: number) {
    const rows = await this.db('compliance_history')
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit);
    return rows.map(toHistoryEntry);
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
    await this.db('compliance_exemptions').insert({
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
    const count = await this.db('compliance_exemptions')
      .where({ id, status: expected })
      .update({
        status: update.status,
        decided_by: update.decidedBy,
        decided_at: update.decidedAt,
        decision_note: update.decisionNote ?? null,
      });
    return count === 1 ? this.getExemption(id) : undefined;
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
    await this.db('compliance_gate_evaluations').insert({
      id,
      entity_ref: record.entityRef,
      decision: record.decision,
      evaluation: JSON.stringify(record.evaluation),
      reasons: JSON.stringify(record.reasons ?? []),
      task_id: record.taskId ?? null,
      template_ref: record.templateRef ?? null,
      recorded_by: recordedBy,
      recorded_at: recordedAt,
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
