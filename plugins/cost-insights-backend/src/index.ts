/**
 * Forge cost backend: FOCUS ingestion, attribution to catalog entities, daily rollups, budgets, forecasts,
 * anomalies, recommendations, alerts, REST API and actions.
 *
 * @packageDocumentation
 */
export { costInsightsPlugin as default } from './plugin';
export {
  generateDemoFocusRows,
  demoFocusCsv,
} from './demo/generateDemoFocusRows';
export type { DemoOptions, DemoFocusRow } from './demo/generateDemoFocusRows';
