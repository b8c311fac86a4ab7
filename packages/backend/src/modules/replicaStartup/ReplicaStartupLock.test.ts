import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ReplicaStartupLock } from './ReplicaStartupLock';

const postgres = Object.entries(process.env).find(([key]) =>
  /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(key),
);
const describeOnPostgres = postgres ? describe : describe.skip;

const config = (prefix: string) =>
  new ConfigReader({
    backend: {
      database: { client: 'pg', connection: postgres?.[1], prefix },
    },
  });

describe('ReplicaStartupLock', () => {
  it('is not needed outside PostgreSQL', () => {
    const sqlite = new ConfigReader({
      backend: {
        database: { client: 'better-sqlite3', connection: ':memory:' },
      },
    });
    expect(
      ReplicaStartupLock.fromConfig(sqlite, mockServices.logger.mock()),
    ).toBeUndefined();
  });
});

describeOnPostgres(
  `ReplicaStartupLock (${postgres?.[0].match(/POSTGRES\d+/)?.[0]})`,
  () => {
    it('lets a second replica start only once the first has started', async () => {
      const logger = mockServices.logger.mock();
      const prefix = `forge_lock_${Date.now()}_`;
      const first = ReplicaStartupLock.fromConfig(config(prefix), logger)!;
      const second = ReplicaStartupLock.fromConfig(config(prefix), logger)!;
      const otherInstallation = ReplicaStartupLock.fromConfig(
        config(`${prefix}other_`),
        logger,
      )!;
      try {
        await first.acquire();
        let secondStarted = false;
        const waiting = second.acquire().then(() => {
          secondStarted = true;
        });
        // Another installation on the same server is not held up.
        await otherInstallation.acquire();
        await new Promise(r => setTimeout(r, 2500));
        expect(secondStarted).toBe(false);
        expect(logger.info).toHaveBeenCalledWith(
          expect.stringContaining('waiting for it to finish its migrations'),
        );
        await first.release();
        await waiting;
        expect(secondStarted).toBe(true);
      } finally {
        await Promise.all(
          [first, second, otherInstallation].map(l => l.release()),
        );
      }
    });

    it('keeps the lock while the backend starts, however long its connection sits idle', async () => {
      const logger = mockServices.logger.mock();
      const prefix = `forge_lock_idle_${Date.now()}_`;
      // A pool that closes idle connections after 300 ms, as knex's would after 30 s.
      const first = ReplicaStartupLock.fromConfig(config(prefix), logger, {
        idleTimeoutMs: 300,
      })!;
      const second = ReplicaStartupLock.fromConfig(config(prefix), logger)!;
      try {
        await first.acquire();
        await new Promise(r => setTimeout(r, 1500));
        let secondStarted = false;
        const waiting = second.acquire().then(() => {
          secondStarted = true;
        });
        await new Promise(r => setTimeout(r, 2500));
        expect(secondStarted).toBe(false);
        await first.release();
        await waiting;
      } finally {
        await first.release();
        await second.release();
      }
    });

    it('starts anyway after the wait limit', async () => {
      const logger = mockServices.logger.mock();
      const prefix = `forge_lock_limit_${Date.now()}_`;
      const first = ReplicaStartupLock.fromConfig(config(prefix), logger)!;
      const second = ReplicaStartupLock.fromConfig(config(prefix), logger, {
        waitLimitMs: 1500,
      })!;
      try {
        await first.acquire();
        await second.acquire();
        expect(logger.warn).toHaveBeenCalledWith(
          expect.stringContaining('starting anyway'),
        );
      } finally {
        await first.release();
        await second.release();
      }
    });
  },
);
