import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  forge?: {
    compliance?: {
      /** Folder with policy packs (*.yaml), relative to the backend's working directory. Default ../../policies */
      policyDirectory?: string;
      /** Full evaluation of every entity. Default: every 60 minutes. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** Sweep for entities whose catalog etag changed since their last evaluation. Default: every minute. */
      changeSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** Demo facts (scan results) loaded once when no fact was ever stored; embedded default only. */
      demoFacts?: string;
      /** The tamper-evident history (docs/auditors.md). */
      history?: {
        /**
         * Secret (at least 32 characters) from which the key of every record's HMAC, and unless `signingKey` is
         * set the Ed25519 checkpoint signing key, are derived. Production: from the environment
         * (FORGE_HISTORY_KEY). Without it, a key is generated once in <forge.dataDir>/compliance/history.key (0600).
         * @visibility secret
         */
        key?: string;
        /**
         * Ed25519 private key (PKCS#8 PEM) for signing checkpoints and evidence exports, if it should differ from
         * the one derived from `key`.
         * @visibility secret
         */
        signingKey?: string;
        /**
         * Keys retired by a rotation, kept to verify the records and checkpoints they sealed before it, never to seal
         * new ones (docs/operations.md, rotating the history key). Production: FORGE_HISTORY_RETIRED_KEYS, the
         * previous FORGE_HISTORY_KEY values separated by commas; or a list, with `signingKey` where one was set apart.
         * @visibility secret
         */
        retiredKeys?:
          | string
          | Array<string | { key: string; signingKey?: string }>;
        checkpoints?: {
          /** Append-only file of signed checkpoints. Default <forge.dataDir>/compliance/checkpoints.jsonl */
          file?: string;
          /** Each signed checkpoint is POSTed here as JSON (a transparency log, a SIEM, a notification relay). */
          webhookUrl?: string;
          /** Checkpoints are published shortly after every write and on this schedule. Default: every 10 minutes. */
          schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        };
      };
      exemptions?: {
        /** Longest an exemption may last, in days. Default 180. */
        maxDays?: number;
        /** Owners are told this many days before an exemption expires. Default 14. */
        warnDaysBeforeExpiry?: number;
      };
    };
  };
}
