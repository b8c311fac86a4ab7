import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  forge?: {
    outcomes?: {
      /**
       * How often the outcomes collector copies blueprint runs and snapshots budgets and figures (default every
       * 10 minutes). Evidence exports are timed once a day whatever the schedule.
       */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** Frameworks whose evidence export is timed (default SOC2 and NIST-800-53). */
      frameworks?: string[];
    };
  };
}
