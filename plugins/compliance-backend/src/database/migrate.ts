import { Knex } from 'knex';

/** Any fixed number: the PostgreSQL advisory lock the compliance migrations are run under. */
const MIGRATION_LOCK_KEY = 461_070_311;
const ATTEMPTS = 20;

/** Errors of replicas migrating the same new database at once (knex creates its own tables unguarded). */
const RACE = /already (exists|locked)|duplicate key value/i;

/**
 * Runs the migrations once however many replicas start together. knex guards the migrations themselves with its lock
 * table, but creates that table and its row without a guard: replicas starting on a new database failed with
 * "relation knex_migrations already exists" or "duplicate key", and two lock rows would leave every later run
 * "already locked". On PostgreSQL the replicas take turns on an advisory lock, held by a transaction on its own
 * connection while knex migrates; SQLite has no such lock, and a replica that loses the race tries again.
 */
export async function migrateLatest(
  knex: Knex,
  directory: string,
): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.transaction(async trx => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
      await knex.migrate.latest({ directory });
    });
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await knex.migrate.latest({ directory });
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS || !RACE.test(String(error))) throw error;
      await new Promise(resolve => setTimeout(resolve, 100 * attempt));
    }
  }
}
