import { randomBytes } from 'node:crypto';
import { JsonObject } from '@backstage/types';
import knexFactory from 'knex';

/**
 * The databases a whole-backend test runs against: SQLite always, and each PostgreSQL server that
 * `scripts/services.sh` (or the developer) exported as `BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING`,
 * the same variables `TestDatabases` reads for store tests. Names follow `TestDatabases` ids so the test summary
 * can count what ran on PostgreSQL.
 */
export type BackendTestDatabase = {
  id: string;
  /** `backend.database` config for one backend; fresh, isolated databases every call. */
  config(): JsonObject;
  /** Drops what `config()` created. */
  cleanup(): Promise<void>;
};

export function backendTestDatabases(): BackendTestDatabase[] {
  const result: BackendTestDatabase[] = [
    {
      id: 'SQLITE_3',
      config: () => ({ client: 'better-sqlite3', connection: ':memory:' }),
      cleanup: async () => {},
    },
  ];
  for (const [key, url] of Object.entries(process.env)) {
    const match = key.match(
      /^BACKSTAGE_TEST_DATABASE_(POSTGRES\d+)_CONNECTION_STRING$/,
    );
    if (!match || !url) continue;
    const prefixes: string[] = [];
    result.push({
      id: match[1],
      config: () => {
        const prefix = `forge_test_${randomBytes(4).toString('hex')}_`;
        prefixes.push(prefix);
        return { client: 'pg', connection: url, prefix };
      },
      cleanup: async () => {
        const admin = knexFactory({
          client: 'pg',
          connection: { connectionString: url, database: 'postgres' },
        });
        try {
          for (const prefix of prefixes.splice(0)) {
            const { rows } = await admin.raw(
              'SELECT datname FROM pg_database WHERE datname LIKE ?',
              [`${prefix}%`],
            );
            for (const { datname } of rows as { datname: string }[]) {
              // FORCE: the stopped backend's pool may still hold idle connections.
              await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [
                datname,
              ]);
            }
          }
        } finally {
          await admin.destroy();
        }
      },
    });
  }
  return result;
}
