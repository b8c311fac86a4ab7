import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import knexFactory, { Knex } from 'knex';

/**
 * Lets one replica at a time start on a shared PostgreSQL, so database migrations never race. Knex migrations are
 * not safe to run from several processes at once on a fresh database: replicas started together fail with
 * "relation ... knex_migrations_lock already exists" or "Migration table is already locked" (seen in the replica
 * test). The lock is a PostgreSQL session advisory lock, taken before the first plugin touches its database and
 * held until the backend has started; a replica that dies while starting releases it with its connection.
 *
 * The lock lives in the server's administrative database (the one the connection names, else `postgres`, where
 * Backstage also connects to create plugin databases), keyed by the plugin database prefix, so two installations
 * sharing a server do not wait for each other.
 */
export class ReplicaStartupLock {
  private acquired?: Promise<void>;
  private released = false;
  /** The session holding the lock, kept out of the pool so its idle reaper cannot close it (and free the lock). */
  private session?: unknown;

  private constructor(
    private readonly db: Knex,
    private readonly key: string,
    private readonly logger: LoggerService,
    private readonly waitLimitMs: number,
  ) {}

  /** The lock for a PostgreSQL configuration; undefined for any other database, where one process is all there is. */
  static fromConfig(
    config: Config,
    logger: LoggerService,
    options: { waitLimitMs?: number; idleTimeoutMs?: number } = {},
  ): ReplicaStartupLock | undefined {
    const database = config.getOptionalConfig('backend.database');
    if (database?.getOptionalString('client') !== 'pg') return undefined;
    const connection = database.get<string | Record<string, unknown>>(
      'connection',
    );
    let adminConnection: string | Record<string, unknown>;
    if (typeof connection === 'string') {
      const url = new URL(connection);
      if (url.pathname.length <= 1) url.pathname = '/postgres';
      adminConnection = url.toString();
    } else {
      adminConnection = {
        ...connection,
        database: connection.database ?? 'postgres',
      };
    }
    const prefix = database.getOptionalString('prefix') ?? 'backstage_plugin_';
    return new ReplicaStartupLock(
      knexFactory({
        client: 'pg',
        connection: adminConnection,
        pool: {
          min: 0,
          max: 1,
          ...(options.idleTimeoutMs
            ? {
                idleTimeoutMillis: options.idleTimeoutMs,
                reapIntervalMillis: 100,
              }
            : {}),
        },
      }),
      `forge-replica-startup:${prefix}`,
      logger,
      options.waitLimitMs ?? 10 * 60_000,
    );
  }

  /** Waits until no other replica is starting. Every caller shares the one wait. */
  acquire(): Promise<void> {
    this.acquired ??= this.wait();
    return this.acquired;
  }

  /** Lets the next replica start (after this one has, or when it stops). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.session) await this.db.client.releaseConnection(this.session);
    await this.db.destroy();
  }

  private async wait(): Promise<void> {
    const started = Date.now();
    let told = false;
    // The advisory lock belongs to the session that took it: a pooled connection left idle while the backend
    // starts would be closed by the pool's reaper, and the lock freed with it (seen in the replica test).
    this.session = await this.db.client.acquireConnection();
    while (!this.released) {
      const { rows } = await this.db
        .raw('SELECT pg_try_advisory_lock(hashtext(?)) AS locked', [this.key])
        .connection(this.session);
      if (rows[0].locked) {
        if (told)
          this.logger.info(
            `Starting now; waited ${Math.round(
              (Date.now() - started) / 1000,
            )} s for another replica to start`,
          );
        return;
      }
      if (Date.now() - started > this.waitLimitMs) {
        this.logger.warn(
          `Another replica has been starting for more than ${Math.round(
            this.waitLimitMs / 1000,
          )} s; starting anyway`,
        );
        return;
      }
      if (!told) {
        this.logger.info(
          'Another replica is starting on this database; waiting for it to finish its migrations',
        );
        told = true;
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
  }
}
