export interface Config {
  forge?: {
    blueprints?: {
      /**
       * Billing currency of blueprint estimates (ISO 4217), shown next to the forge.io/cost-estimate annotation.
       * The blueprint settings themselves live in @internal/plugin-scaffolder-backend-module-forge.
       * @visibility frontend
       */
      currency?: string;
    };
  };
}
