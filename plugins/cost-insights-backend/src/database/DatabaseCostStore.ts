import {
  DatabaseService,
  isDatabaseConflictError,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  Budget,
  IngestionRecord,
  IngestionSource,
  IngestionStatus,
} from '@internal/plugin-cost-insights-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  BillingPeriodKey,
  CostStore,
  DailyCostRollup,
  IngestionOutcome,
  LastIngestion,
  NewIngestion,
  RollupAggregate,
  RollupFilter,
  RollupGroupBy,
  RollupMeasure,
} from './CostStore';

const ROLLUPS = 'cost_daily_rollups';
const PERIODS = 'cost_billing_periods';
const INGESTIONS = 'cost_ingestions';
const BUDGETS = 'cost_budgets';
const ALERTS = 'cost_alerts_sent';

const GROUP_COLUMNS: Record<RollupGroupBy, string> = {
  day: 'day',
  entityRef: 'entity_ref',
  provider: 'provider',
  serviceCategory: 'service_category',
  serviceName: 'service_name',
  region: 'region',
  subAccountId: 'sub_account_id',
  chargeCategory: 'charge_category',
  consumedUnit: 'consumed_unit',
};

const MEASURE_COLUMNS: Record<RollupMeasure, string> = {
  billedCost: 'billed_cost',
  effectiveCost: 'effective_cost',
  listCost: 'list_cost',
  consumedQuantity: 'consumed_quantity',
  gpuCost: 'gpu_cost',
  gpuHours: 'gpu_hours',
  gpuIdleCost: 'gpu_idle_cost',
};

/** Rows per INSERT: 23 columns each stays under SQLite's and PostgreSQL's bind-parameter limits. */
const INSERT_CHUNK = 500;
/** Entity refs per IN list, for the same reason. */
const IN_CHUNK = 5000;

type IngestionRow = {
  id: string;
  source: string;
  location: string;
  content_hash: string | null;
  source_etag: string | null;
  attribution_fingerprint: string | null;
  status: string;
  focus_version: string | null;
  row_count: number | string;
  rejected_row_count: number | string;
  rejects: string;
  totals: string;
  periods: string;
  rollup_count: number;
  started_at: Date | string | number;
  finished_at: Date | string | number | null;
  actor: string | null;
  error: string | null;
};

function toIso(value: Date | string | number): string {
  return new Date(value).toISOString();
}

function rollupRow(ingestionId: string, r: DailyCostRollup) {
  return {
    day: r.day,
    billing_account_id: r.billingAccountId,
    billing_period_start: r.billingPeriodStart,
    entity_ref: r.entityRef,
    provider: r.provider,
    service_category: r.serviceCategory,
    service_name: r.serviceName,
    region: r.region,
    sub_account_id: r.subAccountId,
    sub_account_name: r.subAccountName,
    charge_category: r.chargeCategory,
    currency: r.currency,
    consumed_unit: r.consumedUnit,
    billed_cost: r.billedCost,
    effective_cost: r.effectiveCost,
    list_cost: r.listCost,
    consumed_quantity: r.consumedQuantity,
    gpu_cost: r.gpuCost,
    gpu_hours: r.gpuHours,
    gpu_idle_cost: r.gpuIdleCost,
    row_count: r.rowCount,
    ingestion_id: ingestionId,
  };
}

function toIngestionRecord(row: IngestionRow): IngestionRecord {
  return {
    id: row.id,
    source: row.source as IngestionRecord['source'],
    location: row.location,
    contentHash: row.content_hash ?? undefined,
    status: row.status as IngestionRecord['status'],
    focusVersion: row.focus_version ?? undefined,
    rowCount: Number(row.row_count),
    rejectedRowCount: Number(row.rejected_row_count),
    rejects: JSON.parse(row.rejects),
    totals: JSON.parse(row.totals),
    periods: JSON.parse(row.periods),
    rollupCount: Number(row.rollup_count),
    startedAt: toIso(row.started_at),
    finishedAt: row.finished_at ? toIso(row.finished_at) : undefined,
    actor: row.actor ?? undefined,
    error: row.error ?? undefined,
  };
}

/** The knex implementation of {@link CostStore}, on SQLite and PostgreSQL. */
export class DatabaseCostStore implements CostStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<DatabaseCostStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({
        directory: resolvePackagePath(
          '@internal/plugin-cost-insights-backend',
          'migrations',
        ),
      });
    }
    return new DatabaseCostStore(client);
  }

  private constructor(private readonly db: Knex) {}

  async startIngestion(ingestion: NewIngestion): Promise<string> {
    const id = randomUUID();
    await this.db(INGESTIONS).insert({
      id,
      source: ingestion.source,
      location: ingestion.location,
      status: 'running',
      actor: ingestion.actor ?? null,
      source_etag: ingestion.sourceEtag ?? null,
      started_at: new Date(),
    });
    return id;
  }

  async finishIngestion(id: string, outcome: IngestionOutcome): Promise<void> {
    await this.db(INGESTIONS)
      .where({ id })
      .update({
        status: outcome.status,
        content_hash: outcome.contentHash ?? null,
        attribution_fingerprint: outcome.attributionFingerprint ?? null,
        focus_version: outcome.focusVersion ?? null,
        row_count: outcome.rowCount,
        rejected_row_count: outcome.rejectedRowCount,
        rejects: JSON.stringify(outcome.rejects),
        totals: JSON.stringify(outcome.totals),
        periods: JSON.stringify(outcome.periods),
        rollup_count: outcome.rollupCount,
        error: outcome.error ?? null,
        finished_at: new Date(),
      });
  }

  async replaceBillingPeriods(
    ingestionId: string,
    periods: BillingPeriodKey[],
    rollups: DailyCostRollup[],
  ): Promise<void> {
    // Sorted, so two ingestions touching overlapping periods lock them in the same order and cannot deadlock.
    const sorted = [...periods].sort(
      (a, b) =>
        a.billingAccountId.localeCompare(b.billingAccountId) ||
        a.billingPeriodStart.localeCompare(b.billingPeriodStart),
    );
    await this.db.transaction(async trx => {
      for (const p of sorted) {
        // The upsert takes the period's row lock; a concurrent ingestion of the same period waits here until
        // this transaction commits, then deletes what this one inserted.
        await trx(PERIODS)
          .insert({
            billing_account_id: p.billingAccountId,
            billing_period_start: p.billingPeriodStart,
            ingestion_id: ingestionId,
            updated_at: new Date(),
          })
          .onConflict(['billing_account_id', 'billing_period_start'])
          .merge(['ingestion_id', 'updated_at']);
        await trx(ROLLUPS)
          .where({
            billing_account_id: p.billingAccountId,
            billing_period_start: p.billingPeriodStart,
          })
          .delete();
      }
      for (let i = 0; i < rollups.length; i += INSERT_CHUNK) {
        await trx(ROLLUPS).insert(
          rollups
            .slice(i, i + INSERT_CHUNK)
            .map(r => rollupRow(ingestionId, r)),
        );
      }
    });
  }

  async getIngestion(id: string): Promise<IngestionRecord | undefined> {
    const row = await this.db<IngestionRow>(INGESTIONS).where({ id }).first();
    return row ? toIngestionRecord(row) : undefined;
  }

  async listIngestions(options: {
    limit: number;
    source?: IngestionSource;
    status?: IngestionStatus;
  }): Promise<IngestionRecord[]> {
    const query = this.db<IngestionRow>(INGESTIONS);
    if (options.source) query.where('source', options.source);
    if (options.status) query.where('status', options.status);
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id')
      .limit(options.limit);
    return rows.map(toIngestionRecord);
  }

  async lastIngestion(location: string): Promise<LastIngestion | undefined> {
    const row = await this.db<IngestionRow>(INGESTIONS)
      .where({ location })
      .whereNot({ status: 'running' })
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .first();
    if (!row) return undefined;
    return {
      status: row.status as LastIngestion['status'],
      sourceEtag: row.source_etag ?? undefined,
      contentHash: row.content_hash ?? undefined,
      attributionFingerprint: row.attribution_fingerprint ?? undefined,
      finishedAt: row.finished_at ? toIso(row.finished_at) : undefined,
    };
  }

  async hasRollups(): Promise<boolean> {
    return Boolean(await this.db(ROLLUPS).first('day'));
  }

  async aggregate(
    filter: RollupFilter,
    groupBy: RollupGroupBy[],
    measures: RollupMeasure[],
  ): Promise<RollupAggregate[]> {
    if (filter.entityRefs && filter.entityRefs.length === 0) return [];
    const refs = filter.entityRefs
      ? [...new Set(filter.entityRefs)]
      : undefined;
    if (refs && refs.length > IN_CHUNK) {
      const parts: RollupAggregate[][] = [];
      for (let i = 0; i < refs.length; i += IN_CHUNK) {
        parts.push(
          await this.aggregate(
            { ...filter, entityRefs: refs.slice(i, i + IN_CHUNK) },
            groupBy,
            measures,
          ),
        );
      }
      return mergeAggregates(parts.flat(), groupBy, measures);
    }

    const query = this.db(ROLLUPS)
      .where('day', '>=', filter.start)
      .andWhere('day', '<', filter.endExclusive)
      .andWhere('currency', filter.currency);
    if (refs) query.whereIn('entity_ref', refs);
    if (filter.serviceCategory !== undefined)
      query.andWhere('service_category', filter.serviceCategory);
    if (filter.serviceName !== undefined)
      query.andWhere('service_name', filter.serviceName);
    if (filter.consumedUnit !== undefined)
      query.andWhere('consumed_unit', filter.consumedUnit);
    for (const g of groupBy) {
      query.select({ [g]: GROUP_COLUMNS[g] }).groupBy(GROUP_COLUMNS[g]);
    }
    for (const m of measures) {
      query.select(this.db.raw('SUM(??) as ??', [MEASURE_COLUMNS[m], m]));
    }
    const rows: Array<Record<string, unknown>> = await query;
    return rows.map(row => {
      const out: Record<string, string | number> = {};
      for (const g of groupBy) out[g] = String(row[g]);
      for (const m of measures) out[m] = Number(row[m] ?? 0);
      return out as RollupAggregate;
    });
  }

  async lastBillingDay(currency: string): Promise<string | undefined> {
    const row = await this.db(ROLLUPS)
      .where({ currency })
      .max({ day: 'day' })
      .first();
    return row?.day ? String(row.day) : undefined;
  }

  async listBudgets(): Promise<Budget[]> {
    const rows = await this.db(BUDGETS).orderBy('entity_ref');
    return rows.map(row => ({
      entityRef: row.entity_ref,
      monthlyAmount: Number(row.monthly_amount),
      currency: row.currency,
      source: 'forge' as const,
      updatedBy: row.updated_by,
      updatedAt: toIso(row.updated_at),
    }));
  }

  async setBudget(budget: {
    entityRef: string;
    monthlyAmount: number;
    currency: string;
    updatedBy: string;
  }): Promise<Budget> {
    const updatedAt = new Date();
    await this.db(BUDGETS)
      .insert({
        entity_ref: budget.entityRef,
        monthly_amount: budget.monthlyAmount,
        currency: budget.currency,
        updated_by: budget.updatedBy,
        updated_at: updatedAt,
      })
      .onConflict('entity_ref')
      .merge(['monthly_amount', 'currency', 'updated_by', 'updated_at']);
    return {
      ...budget,
      source: 'forge',
      updatedAt: updatedAt.toISOString(),
    };
  }

  async deleteBudget(entityRef: string): Promise<boolean> {
    const deleted = await this.db(BUDGETS)
      .where({ entity_ref: entityRef })
      .delete();
    return deleted > 0;
  }

  async claimAlert(alert: {
    key: string;
    entityRef: string;
    kind: string;
  }): Promise<boolean> {
    try {
      await this.db(ALERTS).insert({
        alert_key: alert.key,
        entity_ref: alert.entityRef,
        kind: alert.kind,
        sent_at: new Date(),
      });
      return true;
    } catch (error) {
      if (isDatabaseConflictError(error)) return false;
      throw error;
    }
  }

  async releaseAlert(key: string): Promise<void> {
    await this.db(ALERTS).where({ alert_key: key }).delete();
  }
}

function mergeAggregates(
  rows: RollupAggregate[],
  groupBy: RollupGroupBy[],
  measures: RollupMeasure[],
): RollupAggregate[] {
  const merged = new Map<string, RollupAggregate>();
  for (const row of rows) {
    const key = groupBy.map(g => row[g]).join('\u0001');
    const existing = merged.get(key);
    if (!existing) {
      merged.set(key, { ...row });
      continue;
    }
    for (const m of measures) existing[m] = (existing[m] ?? 0) + (row[m] ?? 0);
  }
  return [...merged.values()];
}
