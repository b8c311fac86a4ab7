import {
  Budget,
  IngestionRecord,
  IngestionSource,
  IngestionStatus,
  RejectedRow,
} from '@internal/plugin-cost-insights-common';

import { RollupDimensions, RollupMeasures } from './rollupColumns';

export type { RollupDimensions, RollupMeasures } from './rollupColumns';

/** FOCUS rows summed per day and the other key dimensions of ROLLUP_COLUMN_DECLARATION (rollupColumns.ts). */
export type DailyCostRollup = RollupDimensions & RollupMeasures;

/** An account's billing period: what one ingestion replaces as a whole. */
export type BillingPeriodKey = {
  billingAccountId: string;
  billingPeriodStart: string;
};

/**
 * A billing period an ingestion replaces: whole, or, when `days` is given (its source declared it covers only those
 * days of the period), only those days (YYYY-MM-DD, both included).
 */
export type ReplacedPeriod = BillingPeriodKey & {
  days?: { from: string; to: string };
  /**
   * An account's period that an earlier delivery of the same source held and this one no longer holds: replaced by
   * nothing (see DatabaseCostStore.withdrawnPeriods).
   */
  withdrawn?: boolean;
};

/** Dimensions a query can group by. */
export type RollupGroupBy =
  | 'day'
  | 'entityRef'
  | 'provider'
  | 'serviceCategory'
  | 'serviceName'
  | 'region'
  | 'subAccountId'
  | 'chargeCategory'
  | 'consumedUnit';

/** Which rollups a query sums. */
export type RollupFilter = {
  start: string;
  endExclusive: string;
  currency: string;
  /** Only these entities ('' is unattributed spend); all when absent. */
  entityRefs?: string[];
  serviceCategory?: string;
  serviceName?: string;
  consumedUnit?: string;
};

export type RollupMeasure = Exclude<keyof RollupMeasures, 'rowCount'>;

/** One line of a query's result: the grouped dimensions and the summed measures asked for. */
export type RollupAggregate = Partial<Record<RollupGroupBy, string>> &
  Partial<Record<RollupMeasure, number>>;

export type NewIngestion = {
  source: IngestionSource;
  location: string;
  actor?: string;
  /** ETag of a URL, or size and modification time of a file, to skip it when unchanged. */
  sourceEtag?: string;
  /**
   * The export and billing period of a snapshot written to a folder of its own: ingestions of one group are one
   * source (what an earlier snapshot held and the latest no longer holds is withdrawn). Default: the location.
   */
  sourceGroup?: string;
  /** Who runs it and until when it is known alive; renewed with renewIngestionLease while it runs. */
  lease: IngestionLease;
};

/** A running ingestion's lease: a process that dies stops renewing it, and the record is then failed. */
export type IngestionLease = { owner: string; expiresAt: Date };

/**
 * An ingestion that lost its lease (its process stalled past the expiry; the record was failed as interrupted and the
 * source may have been read again by another replica): what it read is not stored.
 */
export class IngestionLeaseLostError extends Error {
  name = 'IngestionLeaseLostError';
  constructor(id: string) {
    super(
      `Ingestion ${id} lost its lease (it stalled past its expiry and was marked interrupted); nothing it read was stored, and the source is read again on the next scan`,
    );
  }
}

/** The message of an ingestion whose process stopped while it ran. */
export const INTERRUPTED =
  'Interrupted: the backend stopped while ingesting (its lease expired); the source is read again on the next scan, an upload must be sent again';

export type IngestionOutcome = {
  status: Exclude<IngestionStatus, 'running'>;
  contentHash?: string;
  attributionFingerprint?: string;
  focusVersion?: string;
  rowCount: number;
  rejectedRowCount: number;
  rejects: RejectedRow[];
  totals: IngestionRecord['totals'];
  periods: ReplacedPeriod[];
  rollupCount: number;
  error?: string;
};

/** The last finished ingestion of a location, to decide whether it must be read again. */
export type LastIngestion = {
  status: Exclude<IngestionStatus, 'running'>;
  contentHash?: string;
  sourceEtag?: string;
  attributionFingerprint?: string;
  finishedAt?: string;
};

/** Storage of cost rollups, ingestion records, budgets and sent alerts. */
export interface CostStore {
  /**
   * Starts the record of an ingestion and returns its id; undefined when the same source (a folder file, URL or demo
   * location, not an upload) is being ingested by a live process, here or on another replica: the database
   * arbitrates the claim. A claim whose lease expired is failed first and taken over.
   */
  startIngestion(ingestion: NewIngestion): Promise<string | undefined>;
  /** Extends a running ingestion's lease; false when it is no longer this owner's (it was failed meanwhile). */
  renewIngestionLease(id: string, lease: IngestionLease): Promise<boolean>;
  /** Marks failed every running ingestion whose lease expired before `now`; returns how many. */
  failInterruptedIngestions(now?: Date): Promise<number>;
  /**
   * Completes the record of an ingestion still running (of the lease's owner, when one is given); false when it is
   * no longer (failed as interrupted meanwhile), and it is then left as it is.
   */
  finishIngestion(
    id: string,
    outcome: IngestionOutcome,
    lease?: IngestionLease,
  ): Promise<boolean>;
  /**
   * Replaces, in one transaction, everything stored for the given billing periods (of a period with `days`, only
   * those days) with the given rollups. Refuses rollups of a period's days it does not replace, which would add to
   * what is kept. Concurrent replacements of the same period are serialised: the last one to commit wins, none are
   * mixed. Of a source ingested again (not an upload), the accounts its earlier delivery still holds in the months
   * this one delivers, and this one no longer holds, are replaced by nothing too (of a month the delivery declares
   * only some days of, `coverage`, only those days); and when its content is the same as
   * at its last successful ingestion (`contentHash`: read again for new attribution rules only), only the periods it
   * still holds (or nobody does) are replaced, not those another source delivered since. Returns every period
   * replaced, those `withdrawn` included.
   */
  replaceBillingPeriods(
    ingestionId: string,
    periods: ReplacedPeriod[],
    rollups: DailyCostRollup[],
    options?: {
      contentHash?: string;
      coverage?: { from: string; to: string };
      /** Renewed in the same transaction; when the ingestion no longer holds it, IngestionLeaseLostError. */
      lease?: IngestionLease;
    },
  ): Promise<ReplacedPeriod[]>;
  getIngestion(id: string): Promise<IngestionRecord | undefined>;
  /** The latest ingestions first, optionally of one source or status. */
  listIngestions(options: {
    limit: number;
    source?: IngestionSource;
    status?: IngestionStatus;
  }): Promise<IngestionRecord[]>;
  /** The last finished ingestion of a location (succeeded, rejected or failed). */
  lastIngestion(location: string): Promise<LastIngestion | undefined>;
  /** Whether any cost was ever stored (demo data loads only when not). */
  hasRollups(): Promise<boolean>;

  /** Sums the measures of the rollups matching the filter, grouped by the given dimensions. */
  aggregate(
    filter: RollupFilter,
    groupBy: RollupGroupBy[],
    measures: RollupMeasure[],
  ): Promise<RollupAggregate[]>;
  /** The latest day with any cost in the currency, if any. */
  lastBillingDay(currency: string): Promise<string | undefined>;

  listBudgets(): Promise<Budget[]>;
  setBudget(budget: {
    entityRef: string;
    monthlyAmount: number;
    currency: string;
    updatedBy: string;
  }): Promise<Budget>;
  /** Removes a budget set in Forge; returns whether there was one. */
  deleteBudget(entityRef: string): Promise<boolean>;

  /** Records an alert as sent; returns false when it had been sent already (so it is not sent twice). */
  claimAlert(alert: {
    key: string;
    entityRef: string;
    kind: string;
  }): Promise<boolean>;
  /** Gives up a claim whose notification could not be delivered, so the next run tries again. */
  releaseAlert(key: string): Promise<void>;
}
