// Forge cost insights: Cost Insights API data shapes, the FOCUS model, annotations and permissions.
export {};
