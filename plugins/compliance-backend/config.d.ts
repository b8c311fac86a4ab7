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
      exemptions?: {
        /** Longest an exemption may last, in days. Default 180. */
        maxDays?: number;
        /** Owners are told this many days before an exemption expires. Default 14. */
        warnDaysBeforeExpiry?: number;
      };
    };
  };
}
