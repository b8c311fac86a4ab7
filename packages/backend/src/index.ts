/*
 * The Forge backend: Backstage core plugins plus Forge's own, on the new backend system.
 * Embedded default: SQLite files under .data/ (app-config.yaml). Production: PostgreSQL and OIDC
 * (app-config.production.yaml).
 */
import { createBackend } from '@backstage/backend-defaults';
import { forgePermissionPolicyModule } from './modules/permissions/module';
import { forgeRootHttpRouterServiceFactory } from './modules/errors/safeErrorBodies';
import { techdocsMkdocsCheckModule } from './modules/techdocs/module';
import { demoPersonaAuthModule } from './modules/demoPersonas/module';
import { searchEngineModule } from './modules/search/module';
import { catalogLocalRepositoriesModule } from './modules/localRepositories/module';
import { replicaSafeDatabaseServiceFactory } from './modules/replicaStartup/databaseServiceFactory';
import {
  localRepositoriesPlugin,
  localRepositoriesUrlReader,
} from './modules/localRepositories/plugin';

const backend = createBackend();

// Error answers carry a request id and a message for the caller, never a stack trace (also in development mode).
backend.add(forgeRootHttpRouterServiceFactory);

// Replicas on one PostgreSQL start one at a time, so their migrations never race (docs/operations.md).
backend.add(replicaSafeDatabaseServiceFactory);

// The portal itself, served from the backend so one process and one URL is all a newcomer needs.
backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// Sign-in: guest on the embedded default, OIDC (Entra ID, Okta) in production.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-oidc-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-microsoft-provider'));
// Demo personas (embedded default only): act as a compliance manager or an admin to walk through a journey.
backend.add(demoPersonaAuthModule);

// Catalog.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// Permissions: the Forge policy, roles from catalog group membership.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(forgePermissionPolicyModule);

// Blueprints: the forge:* actions (gate, estimate, environment plan, publishing); local git on the embedded default,
// the enterprise SCM's publish actions by configuration (forge.blueprints.publish).
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
backend.add(import('@internal/plugin-scaffolder-backend-module-forge'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-gitlab'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-bitbucket-server'),
);
backend.add(import('@backstage/plugin-scaffolder-backend-module-azure'));
backend.add(catalogLocalRepositoriesModule);
// The local git repositories of the embedded default, served read-only: the repository page in the portal, and the
// URL reader the catalog and TechDocs read them with.
backend.add(localRepositoriesPlugin);
backend.add(localRepositoriesUrlReader);

// Documentation.
backend.add(import('@backstage/plugin-techdocs-backend'));
backend.add(techdocsMkdocsCheckModule);

// Search over catalog and docs (PostgreSQL full text in production, in-memory Lunr on SQLite).
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(searchEngineModule);
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// Events carry catalog changes to the plugins that react to them.
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@backstage/plugin-mcp-actions-backend'));

// Forge: compliance scorecards.
backend.add(import('@internal/plugin-compliance-backend'));

// Forge: cost insights (FOCUS billing ingestion, budgets, forecasts, recommendations).
backend.add(import('@internal/plugin-cost-insights-backend'));

// Forge: the platform's own outcomes (speed, self-service, adoption, compliance, audit readiness, cost, satisfaction).
backend.add(import('@internal/plugin-outcomes-backend'));

// A backend whose startup failed exits, so the orchestrator restarts it; otherwise the process stays alive (and its
// liveness probe green) without ever becoming ready.
backend.start().catch(error => {
  // eslint-disable-next-line no-console
  console.error('Forge backend failed to start:', error);
  process.exit(1);
});
