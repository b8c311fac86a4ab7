/**
 * Forge cost insights: Cost Insights API data shapes, Forge's cost API shapes, the FOCUS model, annotations,
 * intervals and permissions, shared by the cost backend and frontend.
 *
 * @packageDocumentation
 */
export * from './permissions';
export * from './annotations';
export * from './costInsightsApi';
export * from './forgeApi';
export * from './focus';
export * from './intervals';
export * from './dates';
