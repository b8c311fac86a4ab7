/**
 * Forge cost views: the entity cost card and tab, the team cost tab and the organisation overview at /cost.
 *
 * @packageDocumentation
 */
export { costInsightsPlugin as default } from './plugin';
export { costApiRef, CostClient } from './api';
export type { CostApi, DayRange } from './api';
