// Forge cost backend: FOCUS ingestion, attribution, rollups, budgets, forecasts, recommendations, alerts, REST API.
export {};
