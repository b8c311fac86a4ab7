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
  addDecimal,
  decimalToNumber,
  OK,
  readDecimal,
  TOO_LARGE,
} from '../ingestion/focusDecimal';
import { mergeDayRanges, replacedPeriods } from '../ingestion/replacedPeriods';
import { SumOverflowError } from '../ingestion/RollupAccumulator';
import type { DayRange } from '../ingestion/sources/exportManifests';
import {
  BillingPeriodKey,
  CostStore,
  DailyCostRollup,
  IngestionLease,
  IngestionLeaseLostError,
  IngestionOutcome,
  INTERRUPTED,
  LastIngestion,
  NewIngestion,
  RollupAggregate,
  RollupFilter,
  RollupGroupBy,
  RollupMeasure,
  ReplacedPeriod,
} from './CostStore';
import { ROLLUP_COLUMNS as DECLARED, rollupColumnOf } from './rollupColumns';

const ROLLUPS = 'cost_daily_rollups';
const ENTITY_DAILY = 'cost_entity_daily';
const DAY_TOTALS = 'cost_day_totals';
const KNOWN_REFS = 'cost_known_refs';
const PERIODS = 'cost_billing_periods';
const INGESTIONS = 'cost_ingestions';
const BUDGETS = 'cost_budgets';
const ALERTS = 'cost_alerts_sent';

const GROUP_COLUMNS = Object.fromEntries(
  (
    [
      'day',
      'entityRef',
      'provider',
      'serviceCategory',
      'serviceName',
      'region',
      'subAccountId',
      'chargeCategory',
      'consumedUnit',
    ] as const satisfies readonly RollupGroupBy[]
  ).map(field => [field, rollupColumnOf(field)]),
) as Record<RollupGroupBy, string>;

const MEASURE_COLUMNS = Object.fromEntries(
  DECLARED.sums.map(c => [c.field, c.column]),
) as Record<RollupMeasure, string>;

/** Rows per INSERT: 23 columns each stays under SQLite's and PostgreSQL's bind-parameter limits. */
const INSERT_CHUNK = 500;
/** Loads of at least this many rollups refresh the planner's statistics. */
const STATISTICS_REFRESH_ROWS = 10_000;
/** Rows per bulk INSERT of one JSON parameter. */
const BULK_CHUNK = 5000;

/** The part of a better-sqlite3 connection bulk inserts use. */
interface BetterSqliteConnection {
  prepare(sql: string): { run(values: unknown[]): unknown };
  pragma(source: string, options?: { simple: boolean }): unknown;
}

/**
 * SQLite's page cache while a load is written, in KiB. Its default (2 MiB) is far smaller than a large export's
 * rollups and their indexes, so SQLite spilled pages to the file mid-transaction (measured on 67,800 rollups: the
 * store step took about a third longer). Set for the load only, and set back after it, so it is not kept.
 */
const LOAD_CACHE_KIB = 64 * 1024;

/** The measures the entity daily and day totals tables keep, summed from the rollups. */
const DAILY_MEASURE_TYPES = {
  billed_cost: 'double precision',
  effective_cost: 'double precision',
  list_cost: 'double precision',
  gpu_cost: 'double precision',
  gpu_hours: 'double precision',
  gpu_idle_cost: 'double precision',
};
const DAILY_MEASURES = new Set(Object.keys(DAILY_MEASURE_TYPES));

/** The day totals table's columns and their SQL types. */
const DAY_TOTAL_COLUMN_TYPES: Record<string, string> = {
  day: 'varchar',
  currency: 'varchar',
  billing_account_id: 'varchar',
  billing_period_start: 'varchar',
  ...DAILY_MEASURE_TYPES,
};

/** The entity daily table's columns and their SQL types. */
const ENTITY_DAILY_COLUMN_TYPES: Record<string, string> = {
  entity_ref: 'varchar',
  ...DAY_TOTAL_COLUMN_TYPES,
};

/** The rollup table's columns and their SQL types, in insert order (rollupValues): the declaration's. */
const ROLLUP_COLUMN_TYPES = DECLARED.columnTypes;
const ROLLUP_COLUMNS = Object.keys(ROLLUP_COLUMN_TYPES);
const ENTITY_DAILY_COLUMNS = Object.keys(ENTITY_DAILY_COLUMN_TYPES);
const DAY_TOTAL_COLUMNS = Object.keys(DAY_TOTAL_COLUMN_TYPES);
/** Entity refs per IN list, for the same reason. */
const IN_CHUNK = 5000;
/**
 * From this many entities on, a daily question first checks whether subtracting the entities outside the scope from
 * the day totals reads less than summing the scope's own entities (it does for a whole organisation or division).
 */
const COMPLEMENT_MIN_REFS = 200;

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
  lease_owner?: string | null;
  lease_expires_at?: Date | string | number | null;
  source_group?: string | null;
};

/** Whether a record says running while its lease has expired: its process is gone. */
function isInterrupted(row: IngestionRow, now = Date.now()): boolean {
  return (
    row.status === 'running' &&
    (!row.lease_expires_at || new Date(row.lease_expires_at).getTime() < now)
  );
}

function toIso(value: Date | string | number): string {
  return new Date(value).toISOString();
}

/** The rollup's fields in the order of ROLLUP_COLUMN_TYPES (the declaration's). */
const ROLLUP_FIELDS = DECLARED.declaration.map(c => c.field) as Array<
  keyof DailyCostRollup
>;

/** A rollup's values in the order of ROLLUP_COLUMN_TYPES. */
function rollupValues(ingestionId: string, r: DailyCostRollup): unknown[] {
  const values: unknown[] = ROLLUP_FIELDS.map(field => r[field]);
  values.push(ingestionId);
  return values;
}

/**
 * Sums rows (value arrays in the order of `from`) into rows of the columns `to`: one per distinct value of its
 * columns that are not daily measures, with the measures summed exactly. Each stored measure is read back as the
 * decimal its double prints as (the rollup's exact sum, to 15-17 significant digits) and the sums are decimal
 * (workers/focusDecimal.js), so an entity's day is not off from its rollups by binary rounding.
 */
function sumPer(rows: unknown[][], from: string[], to: string[]): unknown[][] {
  const source = to.map(c => from.indexOf(c));
  const keys = source.filter((_, k) => !DAILY_MEASURES.has(to[k]));
  const measures = to.flatMap((c, k) => (DAILY_MEASURES.has(c) ? [k] : []));
  const sums = new Map<string, { row: unknown[]; exact: Float64Array }>();
  const value = new Float64Array(2);
  for (const row of rows) {
    const key = keys.map(i => row[i]).join('\u0001');
    let sum = sums.get(key);
    if (!sum) {
      sum = {
        row: source.map((i, k) => (DAILY_MEASURES.has(to[k]) ? 0 : row[i])),
        exact: new Float64Array(to.length * 2),
      };
      sums.set(key, sum);
    }
    for (const k of measures) {
      const text = String(row[source[k]]);
      const read = readDecimal(text, 0, text.length, value, 0);
      // A rollup may sum up to MAX_SUM, past the largest amount the grammar reads (1e15, beyond any day's bill in one
      // currency): refused like a file's sum, rather than failing as a fault.
      if (read === TOO_LARGE) throw new SumOverflowError();
      if (read !== OK) {
        throw new Error(`A rollup measure is not a finite number: ${text}`);
      }
      // Each rollup is below MAX_SUM, but an entity's day sums several (services, regions): refused like a file's.
      if (!addDecimal(sum.exact, k * 2, value[0], value[1])) {
        throw new SumOverflowError();
      }
    }
  }
  return [...sums.values()].map(({ row, exact }) => {
    for (const k of measures)
      row[k] = decimalToNumber(exact[k * 2], exact[k * 2 + 1]);
    return row;
  });
}

/**
 * Throws when a rollup lies outside the days replaced of a period replaced in part: stored beside the rows kept, it
 * would count twice.
 */
function refuseRollupsOutside(
  periods: ReplacedPeriod[],
  rollups: DailyCostRollup[],
): void {
  // A period replaced in part may be listed once per run of days it replaces.
  const replaced = new Map<string, ReplacedPeriod[]>();
  for (const p of periods) {
    const key = `${p.billingAccountId}\u0001${p.billingPeriodStart}`;
    replaced.set(key, [...(replaced.get(key) ?? []), p]);
  }
  for (const r of rollups) {
    const ps = replaced.get(
      `${r.billingAccountId}\u0001${r.billingPeriodStart}`,
    );
    if (
      ps &&
      !ps.some(p => !p.days || (r.day >= p.days.from && r.day <= p.days.to))
    ) {
      throw new Error(
        `A rollup of ${r.day} (account ${r.billingAccountId}, period ${
          r.billingPeriodStart
        }) lies outside the days ${ps
          .map(p => `${p.days!.from}..${p.days!.to}`)
          .join(', ')} the ingestion replaces`,
      );
    }
  }
}

/** Who holds an account's billing period (DatabaseCostStore.sourceHoldings). */
type PeriodHolder = {
  period: BillingPeriodKey;
  /** Held by an earlier ingestion of the same source. */
  own: boolean;
  /**
   * Of a period another source took over in part (its days replaced by a partial export), the days whose figures are
   * still the source's own (YYYY-MM-DD).
   */
  ownDays?: string[];
};

function periodKey(p: BillingPeriodKey): string {
  return `${p.billingAccountId}\u0001${p.billingPeriodStart}`;
}

/**
 * The billing months a delivery speaks for: those it has rows of, and, of an export declaring its days, every month
 * they touch (a run of 15-31 August with no charges at all says August's 15-31 hold nothing).
 */
function deliveredMonths(
  delivered: BillingPeriodKey[],
  coverage: DayRange | undefined,
): string[] {
  const months = new Set(delivered.map(p => p.billingPeriodStart));
  if (coverage && coverage.from <= coverage.to) {
    const [year, month] = coverage.from.split('-').map(Number);
    for (let m = month - 1; ; m++) {
      const start = new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 10);
      if (start > coverage.to) break;
      months.add(start);
    }
  }
  return [...months];
}

/**
 * The periods of accounts that an earlier ingestion of the same source still holds in the billing months this one
 * delivers, but that this one no longer holds: the source's new delivery says the month holds nothing more of them,
 * so they are replaced by nothing, as if the delivery held them with no rows (an export rewritten in place that moved
 * lines from a mis-keyed account to the right one would otherwise count them twice). A delivery speaks only for the
 * days it declares (`coverage`, an Azure run's startDate..endDate): of a month it covers in part, only those days are
 * withdrawn, whatever the earlier delivery held, so the days it says nothing about keep their figures. What the earlier
 * delivery replaced is not read: a record left without its periods by a crash withdraws the same as a finished one.
 */
function withdrawnPeriods(
  holders: Map<string, PeriodHolder>,
  delivered: ReplacedPeriod[],
  coverage: DayRange | undefined,
): ReplacedPeriod[] {
  const keys = new Set(delivered.map(periodKey));
  const withdrawn: ReplacedPeriod[] = [];
  for (const { period, own, ownDays } of holders.values()) {
    if (keys.has(periodKey(period))) continue;
    // The holders are of the months the delivery speaks for (sourceHoldings); of those, the days it speaks for:
    // without rows of the account, only its declared days of the period.
    const spoken = replacedPeriods([period], [], coverage);
    if (own) {
      for (const p of spoken) withdrawn.push({ ...p, withdrawn: true });
    } else if (ownDays && ownDays.length > 0) {
      // Another source holds the period but replaced only some of its days: the days still the source's own.
      const days = ownDays.filter(day =>
        spoken.some(p => !p.days || (day >= p.days.from && day <= p.days.to)),
      );
      for (const range of mergeDayRanges(days.map(d => ({ from: d, to: d })))) {
        withdrawn.push({ ...period, days: range, withdrawn: true });
      }
    }
  }
  return withdrawn;
}

/**
 * A summed measure as answered: the database adds doubles, which leaves binary residue in the last digits
 * (0.1 + 0.2 = 0.30000000000000004); amounts are answered to 15 significant digits, the precision a double holds
 * for every decimal (and PostgreSQL sums them as numeric in the first place).
 */
function measureOf(value: unknown): number {
  const n = Number(value ?? 0);
  return n === 0 ? 0 : Number(n.toPrecision(15));
}

/**
 * The record as answered. One whose lease expired is answered failed even before a scan marks it so: the API never
 * shows an ingestion running that no process runs.
 */
function toIngestionRecord(row: IngestionRow): IngestionRecord {
  if (isInterrupted(row)) {
    return toIngestionRecord({
      ...row,
      status: 'failed',
      error: INTERRUPTED,
      finished_at: row.lease_expires_at ?? row.started_at,
    });
  }
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

  /** The knex client name: better-sqlite3, pg, ... */
  private readonly client: string;

  private constructor(private readonly db: Knex) {
    this.client = String(db.client.config.client);
  }

  async startIngestion(ingestion: NewIngestion): Promise<string | undefined> {
    const id = randomUUID();
    const insert = () =>
      this.db(INGESTIONS).insert({
        id,
        source: ingestion.source,
        location: ingestion.location,
        status: 'running',
        actor: ingestion.actor ?? null,
        source_etag: ingestion.sourceEtag ?? null,
        source_group: ingestion.sourceGroup ?? null,
        started_at: new Date(),
        lease_owner: ingestion.lease.owner,
        lease_expires_at: ingestion.lease.expiresAt,
      });
    try {
      await insert();
      return id;
    } catch (error) {
      // The partial unique index: the source is claimed by a running ingestion. Alive, it keeps it; expired, it
      // is failed and the claim taken over.
      if (!isDatabaseConflictError(error)) throw error;
      if (
        (await this.failInterruptedIngestions(
          new Date(),
          ingestion.location,
        )) === 0
      )
        return undefined;
      try {
        await insert();
        return id;
      } catch (again) {
        if (isDatabaseConflictError(again)) return undefined;
        throw again;
      }
    }
  }

  async renewIngestionLease(
    id: string,
    lease: IngestionLease,
  ): Promise<boolean> {
    const updated = await this.db(INGESTIONS)
      .where({ id, status: 'running', lease_owner: lease.owner })
      .update({ lease_expires_at: lease.expiresAt });
    return updated > 0;
  }

  async failInterruptedIngestions(
    now: Date = new Date(),
    location?: string,
  ): Promise<number> {
    const query = this.db(INGESTIONS)
      .where({ status: 'running' })
      .andWhere(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      );
    if (location !== undefined) query.andWhere({ location });
    return query.update({
      status: 'failed',
      error: INTERRUPTED,
      finished_at: now,
    });
  }

  async finishIngestion(
    id: string,
    outcome: IngestionOutcome,
    lease?: IngestionLease,
  ): Promise<boolean> {
    // Only a record still running (and, given a lease, still its owner's): one failed as interrupted while its
    // process was stalled stays failed, whatever that process says when it wakes up.
    const query = this.db(INGESTIONS).where({ id, status: 'running' });
    if (lease) query.andWhere({ lease_owner: lease.owner });
    const updated = await query.update({
      lease_expires_at: null,
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
    return updated > 0;
  }

  async replaceBillingPeriods(
    ingestionId: string,
    periods: ReplacedPeriod[],
    rollups: DailyCostRollup[],
    options: {
      contentHash?: string;
      coverage?: DayRange;
      lease?: IngestionLease;
    } = {},
  ): Promise<ReplacedPeriod[]> {
    refuseRollupsOutside(periods, rollups);
    let replaced = periods;
    /** What to set back once the transaction is over. */
    const restore: Array<() => void> = [];
    try {
      await this.db.transaction(async trx => {
        if (this.client === 'better-sqlite3') {
          const connection = await this.sqliteConnection(trx);
          const cacheSize = connection.pragma('cache_size', { simple: true });
          connection.pragma(`cache_size = -${LOAD_CACHE_KIB}`);
          restore.push(() =>
            connection.pragma(`cache_size = ${Number(cacheSize)}`),
          );
        }
        // Every writer of a billing month, uploads included, takes the month's lock first, in month order: one
        // writer of a month at a time reads who holds its periods and replaces them, and none can deadlock another.
        const months = deliveredMonths(periods, options.coverage);
        await this.lockMonths(trx, months);
        const holdings = await this.sourceHoldings(trx, ingestionId, months);
        let kept = periods;
        let keptRollups = rollups;
        if (
          holdings &&
          options.contentHash !== undefined &&
          holdings.lastContentHash === options.contentHash
        ) {
          // The source's content did not change since its last delivery: it is read again for new attribution
          // rules only, and must not take back a period another source delivered since (a restatement). Delivery
          // order decides, not the order sources are read again in.
          const own = (p: BillingPeriodKey) => {
            const holder = holdings.holders.get(periodKey(p));
            return holder === undefined || holder.own;
          };
          kept = periods.filter(own);
          keptRollups = rollups.filter(own);
        }
        replaced = [
          ...kept,
          ...(holdings
            ? // What the delivery holds, not only what it writes: a period a re-read for new rules leaves to
              // another source is still the delivery's, never withdrawn.
              withdrawnPeriods(holdings.holders, periods, options.coverage)
            : []),
        ];
        // Sorted, so two ingestions touching overlapping periods lock them in the same order and cannot deadlock.
        const sorted = [...replaced].sort(
          (a, b) =>
            a.billingAccountId.localeCompare(b.billingAccountId) ||
            a.billingPeriodStart.localeCompare(b.billingPeriodStart),
        );
        // Days withdrawn of a period another source holds leave it that source's.
        const keepHolder = new Set(
          replaced
            .filter(
              p =>
                p.withdrawn &&
                holdings?.holders.get(periodKey(p))?.own === false,
            )
            .map(periodKey),
        );
        await this.replaceInTransaction(
          trx,
          ingestionId,
          sorted,
          keptRollups,
          keepHolder,
        );
        // The record says what it replaced in the same transaction: a backend stopped before finishIngestion leaves
        // a record (failed once its lease expires) that still names the periods whose figures are its own. With a
        // lease, it is renewed by the same statement, or nothing is stored: a process that lost it (stalled past its
        // expiry, its record failed and the source taken over by another replica) must not commit older figures over
        // newer ones. Last, so the record's row is locked for moments only (the heartbeat renews it meanwhile).
        const record = trx(INGESTIONS).where({ id: ingestionId });
        if (options.lease) {
          record.andWhere({
            status: 'running',
            lease_owner: options.lease.owner,
          });
        }
        const updated = await record.update({
          periods: JSON.stringify(replaced),
          ...(options.lease
            ? { lease_expires_at: options.lease.expiresAt }
            : {}),
        });
        if (options.lease && updated === 0) {
          throw new IngestionLeaseLostError(ingestionId);
        }
      });
    } finally {
      for (const undo of restore) undo();
    }
    if (rollups.length >= STATISTICS_REFRESH_ROWS) {
      await this.refreshStatistics();
    }
    return replaced;
  }

  /**
   * Who holds the periods of the billing months an ingestion delivers (the ingestion that last replaced each), and
   * whether that is an earlier ingestion of the same source (its location, or its export and period: sourceGroup;
   * an upload is no source delivered again): undefined for an upload. With the content hash of the source's last successful ingestion.
   */
  private async sourceHoldings(
    trx: Knex.Transaction,
    ingestionId: string,
    months: string[],
  ): Promise<
    | {
        lastContentHash?: string;
        holders: Map<string, PeriodHolder>;
      }
    | undefined
  > {
    const ingestion = await trx<IngestionRow>(INGESTIONS)
      .where({ id: ingestionId })
      .first('source', 'location', 'source_group');
    if (!ingestion || ingestion.source === 'upload' || months.length === 0) {
      return undefined;
    }
    const last = await trx<IngestionRow>(INGESTIONS)
      .where({ location: ingestion.location, status: 'succeeded' })
      .whereNot({ id: ingestionId })
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .first('content_hash');
    const rows: Array<{
      billing_account_id: string;
      billing_period_start: string;
      source: string | null;
      location: string | null;
      source_group: string | null;
    }> = await trx(PERIODS)
      .leftJoin(INGESTIONS, `${INGESTIONS}.id`, `${PERIODS}.ingestion_id`)
      .whereIn(`${PERIODS}.billing_period_start`, months)
      .select(
        `${PERIODS}.billing_account_id`,
        `${PERIODS}.billing_period_start`,
        `${INGESTIONS}.source`,
        `${INGESTIONS}.location`,
        `${INGESTIONS}.source_group`,
      );
    const holders = new Map<string, PeriodHolder>();
    for (const row of rows) {
      const period = {
        billingAccountId: row.billing_account_id,
        billingPeriodStart: row.billing_period_start,
      };
      holders.set(periodKey(period), {
        period,
        // The same location, or another snapshot of the same export and period (each in a folder of its own).
        own:
          row.source !== 'upload' &&
          (row.location === ingestion.location ||
            (!!ingestion.source_group &&
              row.source_group === ingestion.source_group)),
      });
    }
    await this.ownDaysOfOthersPeriods(trx, ingestion, months, holders);
    return { lastContentHash: last?.content_hash ?? undefined, holders };
  }

  /**
   * Of the periods another source holds in these months, the days whose figures are still this source's own: a
   * partial export (an Azure run of some days) takes a period over while the source's figures of the other days stay.
   * Looked up only for periods an earlier record of the source lists (usually none), from the rollups' ingestion.
   */
  private async ownDaysOfOthersPeriods(
    trx: Knex.Transaction,
    ingestion: Pick<IngestionRow, 'location' | 'source_group'>,
    months: string[],
    holders: Map<string, PeriodHolder>,
  ): Promise<void> {
    const ofSource = (q: Knex.QueryBuilder) => {
      q.where(`${INGESTIONS}.location`, ingestion.location);
      if (ingestion.source_group) {
        q.orWhere(`${INGESTIONS}.source_group`, ingestion.source_group);
      }
    };
    const records: Array<{ periods: string | null }> = await trx(INGESTIONS)
      .where(ofSource)
      .whereNot({ source: 'upload' })
      .whereNot({ periods: '[]' })
      .select('periods');
    const wanted = new Set(months);
    const candidates = new Map<string, PeriodHolder>();
    for (const { periods } of records) {
      for (const p of JSON.parse(periods ?? '[]') as ReplacedPeriod[]) {
        const holder = holders.get(periodKey(p));
        if (
          wanted.has(p.billingPeriodStart) &&
          holder &&
          !holder.own &&
          !p.withdrawn
        ) {
          candidates.set(periodKey(p), holder);
        }
      }
    }
    if (candidates.size === 0) return;
    const rows: Array<{
      billing_account_id: string;
      billing_period_start: string;
      day: string;
    }> = await trx(ROLLUPS)
      .join(INGESTIONS, `${INGESTIONS}.id`, `${ROLLUPS}.ingestion_id`)
      .whereIn(
        [`${ROLLUPS}.billing_account_id`, `${ROLLUPS}.billing_period_start`],
        [...candidates.values()].map(h => [
          h.period.billingAccountId,
          h.period.billingPeriodStart,
        ]),
      )
      .where(ofSource)
      .whereNot(`${INGESTIONS}.source`, 'upload')
      .distinct(
        `${ROLLUPS}.billing_account_id`,
        `${ROLLUPS}.billing_period_start`,
        `${ROLLUPS}.day`,
      );
    for (const row of rows) {
      const holder = candidates.get(
        periodKey({
          billingAccountId: row.billing_account_id,
          billingPeriodStart: row.billing_period_start,
        }),
      );
      if (holder) (holder.ownDays ??= []).push(String(row.day).slice(0, 10));
    }
  }

  /**
   * Takes the transaction-long lock of each billing month, in month order. On PostgreSQL an advisory lock per month:
   * a delivery in flight of the same month by another source commits before this one reads who holds the month's
   * periods (each statement reads what was committed before it started), so it is neither taken back by a source
   * read again for new rules nor withdrawn by this source's new delivery; row locks could not cover periods that
   * have no row yet. SQLite runs one write transaction at a time.
   */
  private async lockMonths(
    trx: Knex.Transaction,
    months: string[],
  ): Promise<void> {
    if (this.client !== 'pg') return;
    for (const month of [...new Set(months)].sort()) {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [
        `forge-cost-month:${month}`,
      ]);
    }
  }

  /** The better-sqlite3 connection of a transaction. */
  private async sqliteConnection(
    trx: Knex.Transaction,
  ): Promise<BetterSqliteConnection> {
    return (
      trx as unknown as {
        client: { acquireConnection(): Promise<BetterSqliteConnection> };
      }
    ).client.acquireConnection();
  }

  private async replaceInTransaction(
    trx: Knex.Transaction,
    ingestionId: string,
    sorted: ReplacedPeriod[],
    rollups: DailyCostRollup[],
    keepHolder: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    for (const p of sorted) {
      // The upsert takes the period's row lock; a concurrent ingestion of the same period waits here until
      // this transaction commits, then deletes what this one inserted.
      if (!keepHolder.has(periodKey(p)))
        await trx(PERIODS)
          .insert({
            billing_account_id: p.billingAccountId,
            billing_period_start: p.billingPeriodStart,
            ingestion_id: ingestionId,
            updated_at: new Date(),
          })
          .onConflict(['billing_account_id', 'billing_period_start'])
          .merge(['ingestion_id', 'updated_at']);
      // Of a period replaced in part, only its days: the per-entity and day total rows are keyed by day, so those
      // of the other days stay as they are and those of the replaced days are summed below from the new rollups.
      for (const table of [ROLLUPS, ENTITY_DAILY, DAY_TOTALS]) {
        const query = trx(table).where({
          billing_account_id: p.billingAccountId,
          billing_period_start: p.billingPeriodStart,
        });
        if (p.days) {
          query
            .andWhere('day', '>=', p.days.from)
            .andWhere('day', '<=', p.days.to);
        }
        await query.delete();
      }
    }
    const rows = rollups.map(r => rollupValues(ingestionId, r));
    await this.bulkInsert(trx, ROLLUPS, ROLLUP_COLUMN_TYPES, rows);
    // The narrow tables the views read most: per entity and day, and per day over every entity.
    const entityDaily = sumPer(rows, ROLLUP_COLUMNS, ENTITY_DAILY_COLUMNS);
    await this.bulkInsert(
      trx,
      ENTITY_DAILY,
      ENTITY_DAILY_COLUMN_TYPES,
      entityDaily,
    );
    await this.bulkInsert(
      trx,
      DAY_TOTALS,
      DAY_TOTAL_COLUMN_TYPES,
      sumPer(entityDaily, ENTITY_DAILY_COLUMNS, DAY_TOTAL_COLUMNS),
    );
    await this.insertKnownRefs(trx, entityDaily);
  }

  /**
   * Inserts rows, given as value arrays in the order of `columnTypes`, in bulk. A large export yields tens of
   * thousands of rows. On SQLite (better-sqlite3, in process) one prepared statement runs per row inside the
   * transaction; PostgreSQL gets each chunk as one JSON parameter it unpacks itself (jsonb_array_elements) rather
   * than statements with thousands of placeholders. Other clients use plain inserts.
   */
  private async bulkInsert(
    trx: Knex.Transaction,
    table: string,
    columnTypes: Record<string, string>,
    allRows: unknown[][],
  ): Promise<void> {
    const { client } = this;
    const columns = Object.keys(columnTypes);
    if (client === 'better-sqlite3') {
      // better-sqlite3 is synchronous and in process: one prepared statement run per row inside the transaction
      // costs less than handing SQLite the rows as JSON to unpack (measured: about 4x on 75,000 rollups).
      const connection = await this.sqliteConnection(trx);
      const insert = connection.prepare(
        `INSERT INTO "${table}" (${columns
          .map(c => `"${c}"`)
          .join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      for (const row of allRows) insert.run(row);
      return;
    }
    const names = columns.map(() => '??').join(', ');
    const fields = columns
      .map((c, i) => `(x->>${i})::${columnTypes[c]}`)
      .join(', ');
    for (let i = 0; i < allRows.length; i += BULK_CHUNK) {
      const rows = allRows.slice(i, i + BULK_CHUNK);
      if (client === 'pg') {
        await trx.raw(
          `INSERT INTO ?? (${names}) SELECT ${fields} FROM jsonb_array_elements(?::jsonb) AS x`,
          [table, ...columns, JSON.stringify(rows)],
        );
      } else {
        for (let k = 0; k < rows.length; k += INSERT_CHUNK) {
          await trx(table).insert(
            rows
              .slice(k, k + INSERT_CHUNK)
              .map(row =>
                Object.fromEntries(columns.map((c, j) => [c, row[j]])),
              ),
          );
        }
      }
    }
  }

  /** Records which entities have cost in which currency (the day totals' complement reads them). */
  private async insertKnownRefs(
    trx: Knex.Transaction,
    entityDaily: unknown[][],
  ): Promise<void> {
    const currency = ENTITY_DAILY_COLUMNS.indexOf('currency');
    const entityRef = ENTITY_DAILY_COLUMNS.indexOf('entity_ref');
    const known = new Map<string, { currency: string; entity_ref: string }>();
    for (const row of entityDaily) {
      const ref = {
        currency: String(row[currency]),
        entity_ref: String(row[entityRef]),
      };
      known.set(`${ref.currency}\u0001${ref.entity_ref}`, ref);
    }
    const refs = [...known.values()];
    for (let i = 0; i < refs.length; i += INSERT_CHUNK) {
      await trx(KNOWN_REFS)
        .insert(refs.slice(i, i + INSERT_CHUNK))
        .onConflict(['currency', 'entity_ref'])
        .ignore();
    }
  }

  /**
   * After a large load, tells the database what the tables hold now, so its planner picks the index that fits a
   * small team or a whole organisation (PostgreSQL's autovacuum would get there, later).
   */
  private async refreshStatistics(): Promise<void> {
    const { client } = this;
    if (client === 'pg') {
      await this.db.raw(`ANALYZE ${ROLLUPS}, ${ENTITY_DAILY}, ${DAY_TOTALS}`);
    } else if (client.includes('sqlite')) {
      await this.db.raw('PRAGMA optimize');
    }
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
    // Questions about entities per day (most of what the views ask) read the narrow per-entity table.
    const perEntityDay =
      groupBy.every(g => g === 'day' || g === 'entityRef') &&
      filter.serviceCategory === undefined &&
      filter.serviceName === undefined &&
      filter.consumedUnit === undefined &&
      measures.every(m => m !== 'consumedQuantity');
    if (perEntityDay && groupBy.every(g => g === 'day')) {
      // The whole organisation is the day totals; most of it is the day totals minus what lies outside.
      if (!refs) return this.dayTotals(this.db, filter, groupBy, measures);
      if (refs.length >= COMPLEMENT_MIN_REFS) {
        // One snapshot for the three reads, so an ingestion committing between them cannot skew the difference.
        const answer = await this.db.transaction(
          async trx => {
            const inside = new Set(refs);
            const outside = (
              await trx(KNOWN_REFS)
                .where({ currency: filter.currency })
                .pluck('entity_ref')
            ).filter((ref: string) => !inside.has(ref));
            if (outside.length >= refs.length / 2) return undefined;
            const totals = await this.dayTotals(trx, filter, groupBy, measures);
            if (outside.length === 0) return totals;
            const minus = await this.sum(
              trx,
              filter,
              outside,
              groupBy,
              measures,
              true,
            );
            return subtractAggregates(totals, minus, groupBy, measures);
          },
          this.client === 'pg'
            ? { isolationLevel: 'repeatable read', readOnly: true }
            : undefined,
        );
        if (answer) return answer;
      }
    }
    return this.sum(this.db, filter, refs, groupBy, measures, perEntityDay);
  }

  /** Cost per day (or in total) over every entity, from the day totals. */
  private async dayTotals(
    db: Knex,
    filter: RollupFilter,
    groupBy: RollupGroupBy[],
    measures: RollupMeasure[],
  ): Promise<RollupAggregate[]> {
    const query = db(DAY_TOTALS)
      .where('currency', filter.currency)
      .andWhere('day', '>=', filter.start)
      .andWhere('day', '<', filter.endExclusive);
    return this.grouped(query, groupBy, measures);
  }

  /** Sums the rollups (or entity days) of the filter, in parts of IN_CHUNK entities. */
  private async sum(
    db: Knex,
    filter: RollupFilter,
    refs: string[] | undefined,
    groupBy: RollupGroupBy[],
    measures: RollupMeasure[],
    perEntityDay: boolean,
  ): Promise<RollupAggregate[]> {
    if (refs && refs.length > IN_CHUNK) {
      const parts: RollupAggregate[] = [];
      for (let i = 0; i < refs.length; i += IN_CHUNK) {
        const part = refs.slice(i, i + IN_CHUNK);
        parts.push(
          ...(await this.sum(
            db,
            filter,
            part,
            groupBy,
            measures,
            perEntityDay,
          )),
        );
      }
      return mergeAggregates(parts, groupBy, measures);
    }
    const query = db(perEntityDay ? ENTITY_DAILY : ROLLUPS)
      .where('day', '>=', filter.start)
      .andWhere('day', '<', filter.endExclusive)
      .andWhere('currency', filter.currency);
    if (refs) {
      // PostgreSQL plans one array parameter much faster than a thousand-value IN list.
      if (this.client === 'pg') {
        query.whereRaw('entity_ref = ANY(?::text[])', [refs]);
      } else {
        query.whereIn('entity_ref', refs);
      }
    }
    if (filter.serviceCategory !== undefined)
      query.andWhere('service_category', filter.serviceCategory);
    if (filter.serviceName !== undefined)
      query.andWhere('service_name', filter.serviceName);
    if (filter.consumedUnit !== undefined)
      query.andWhere('consumed_unit', filter.consumedUnit);
    return this.grouped(query, groupBy, measures);
  }

  private async grouped(
    query: Knex.QueryBuilder,
    groupBy: RollupGroupBy[],
    measures: RollupMeasure[],
  ): Promise<RollupAggregate[]> {
    for (const g of groupBy) {
      query.select({ [g]: GROUP_COLUMNS[g] }).groupBy(GROUP_COLUMNS[g]);
    }
    for (const m of measures) {
      // PostgreSQL sums the doubles as numeric (each read to 15 significant digits), so no binary drift accumulates.
      query.select(
        this.db.raw(
          this.client === 'pg' ? 'SUM(??::numeric) as ??' : 'SUM(??) as ??',
          [MEASURE_COLUMNS[m], m],
        ),
      );
    }
    const rows: Array<Record<string, unknown>> = await query;
    return rows.map(row => {
      const out: Record<string, string | number> = {};
      for (const g of groupBy) out[g] = String(row[g]);
      for (const m of measures) out[m] = measureOf(row[m]);
      return out as RollupAggregate;
    });
  }

  async lastBillingDay(currency: string): Promise<string | undefined> {
    const row = await this.db(ENTITY_DAILY)
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

/**
 * `totals` minus `minus`, line by line. The difference of two sums of floating-point numbers can leave a residue of
 * the order of 1e-12 of the total where the true answer is zero; those become zero, and lines with nothing left
 * are dropped, as a sum over the scope itself would not have them.
 */
function subtractAggregates(
  totals: RollupAggregate[],
  minus: RollupAggregate[],
  groupBy: RollupGroupBy[],
  measures: RollupMeasure[],
): RollupAggregate[] {
  const outside = new Map(minus.map(row => [lineKey(row, groupBy), row]));
  const out: RollupAggregate[] = [];
  for (const row of totals) {
    const other = outside.get(lineKey(row, groupBy));
    if (!other) {
      out.push(row);
      continue;
    }
    const line: RollupAggregate = { ...row };
    let empty = true;
    for (const m of measures) {
      const total = row[m] ?? 0;
      let value = measureOf(total - (other[m] ?? 0));
      if (Math.abs(value) <= Math.abs(total) * 1e-9) value = 0;
      line[m] = value;
      if (value !== 0) empty = false;
    }
    if (!empty) out.push(line);
  }
  return out;
}

/** Identifies a result line by its grouped dimensions. */
function lineKey(row: RollupAggregate, groupBy: RollupGroupBy[]): string {
  return groupBy.map(g => row[g]).join('\u0001');
}

function mergeAggregates(
  rows: RollupAggregate[],
  groupBy: RollupGroupBy[],
  measures: RollupMeasure[],
): RollupAggregate[] {
  const merged = new Map<string, RollupAggregate>();
  for (const row of rows) {
    const key = lineKey(row, groupBy);
    const existing = merged.get(key);
    if (!existing) {
      merged.set(key, { ...row });
      continue;
    }
    for (const m of measures)
      existing[m] = measureOf((existing[m] ?? 0) + (row[m] ?? 0));
  }
  return [...merged.values()];
}
