export * from './ChartLegend';
export * from './chips';
export * from './dates';
export * from './errors';
export * from './families';
export * from './hooks';
export * from './ScoreGauge';
