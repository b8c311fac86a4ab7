// Forge compliance: policy pack model, the CEL policy evaluator, annotations and permissions shared by backend, frontend and scaffolder.
export {};
