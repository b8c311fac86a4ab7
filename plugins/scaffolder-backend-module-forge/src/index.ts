// Forge scaffolder actions: compliance gate, cost estimate, environment plan.
export {};
