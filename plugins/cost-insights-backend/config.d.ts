import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  forge?: {
    /** Where the portal writes what it generates at run time; the cost inbox defaults to `<dataDir>/cost/inbox`. */
    dataDir?: string;
    cost?: {
      /** The billing currency shown and budgeted in (ISO 4217). Rows in other currencies are kept but not shown. Default USD. */
      currency?: string;
      /** Which FOCUS cost Forge shows: `effective` (amortised, after discounts; the default), `billed` or `list`. */
      costMetric?: 'effective' | 'billed' | 'list';
      ingestion?: {
        /**
         * Folder scanned for FOCUS exports: `.csv`, `.csv.gz` and `.parquet` files at its top, and AWS Data Exports or
         * Azure Cost Management export folders (with their manifests) anywhere below it. Default
         * `<forge.dataDir>/cost/inbox`.
         */
        folder?: string;
        /**
         * Further exports, read with the Backstage URL reader (any location an integration can read): a `.csv`,
         * `.csv.gz` or `.parquet` file, or an export's manifest (`<export>-Manifest.json`, `manifest.json`) whose
         * data files are read from the same store. `{billingPeriod}` in a URL stands for the current and the previous
         * month (`2026-11`, `2026-10`), as AWS names its period folders `BILLING_PERIOD=YYYY-MM`.
         */
        locations?: string[];
        /**
         * SQL queries returning daily FOCUS aggregates, run by an engine instead of reading billing lines through
         * Node (docs/cost.md gives the query). Only `duckdb` (embedded) is executed by Forge; `bigquery`, `athena`,
         * `snowflake` and `databricks` are accepted here for documentation and NOT executed: Forge logs a warning
         * and skips them.
         */
        queries?: Array<{
          /** Names the ingestion records: `query:<name>`. */
          name: string;
          /** Default duckdb. */
          engine?:
            | 'duckdb'
            | 'bigquery'
            | 'athena'
            | 'snowflake'
            | 'databricks';
          /** One SELECT returning FOCUS columns by name, one row per day and rollup dimensions. */
          sql: string;
          /** Local files or folders, or object-store prefixes (s3://bucket/focus/), the query may read; nothing else. */
          paths?: string[];
          /** DuckDB extensions to load first, e.g. httpfs for object stores; they must already be installed. */
          extensions?: string[];
          /** DuckDB memory_limit. Default 1GB. */
          memoryLimit?: string;
          /** DuckDB threads. Default 2. */
          threads?: number;
          /** The query is stopped after this long. Default 600. */
          timeoutSeconds?: number;
          /** The query runs again after this many minutes even when its local files did not change. Default 360. */
          refreshMinutes?: number;
        }>;
        /**
         * How often the folder and locations are checked, and interrupted ingestions retried. Default every minute.
         * The task runs on every replica (scope local); the database decides which one ingests a source.
         */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        /** Largest upload accepted, in bytes (a larger one is answered 413). Default 2 GiB. */
        maxUploadBytes?: number;
      };
      attribution?: {
        /**
         * Billing tag keys whose value names an entity: a full entity ref, or a name of `defaultKind`
         * (e.g. `forge-entity=churn-model`). Checked after the `forge.io/cost-tags` annotations.
         */
        tagKeys?: Array<{ key: string; defaultKind?: string }>;
        /** Sub-accounts (AWS accounts, Azure subscriptions, GCP projects) whose untagged spend belongs to a group. */
        subAccounts?: Array<{ id: string; group: string }>;
        /** Entity kinds that can own cost. Default Component, Resource, System. */
        entityKinds?: string[];
      };
      /** Regular expression (case-insensitive) that marks GPU rows by SKU, resource type, description or unit. */
      gpuPattern?: string;
      alerts?: {
        /** Shares of a monthly budget that trigger an alert, e.g. [0.8, 1]. */
        budgetThresholds?: number[];
        /** Alert when the forecast month end exceeds the budget. Default true. */
        forecastOverBudget?: boolean;
        /** A spike must exceed its baseline by at least this amount to be an anomaly. Default 50. */
        anomalyMinimumExcess?: number;
        /** And its robust z-score must reach this. Default 4. */
        anomalyMinimumScore?: number;
        /** Days of trailing baseline for anomalies. Default 28. */
        anomalyBaselineDays?: number;
        /** How often alerts are checked (they also run after every ingestion). Default hourly. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
      demoData?: {
        /** Load generated demo billing data on first start when the cost tables are empty. Default false. */
        enabled?: boolean;
        /** Days of history, ending today. Default 120. */
        days?: number;
        /** Seed of the generator (same seed and end day, same data). Default 42. */
        seed?: number;
      };
    };
  };
}
