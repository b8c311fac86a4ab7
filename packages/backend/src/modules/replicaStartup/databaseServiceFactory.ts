import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { ConfigReader } from '@backstage/config';
import { ReplicaStartupLock } from './ReplicaStartupLock';

/**
 * Backstage's database service, with one difference: on PostgreSQL a replica's plugins get their databases (and
 * run their migrations) only once no other replica is starting ({@link ReplicaStartupLock}). Everything else is
 * the default factory of `@backstage/backend-defaults/database`.
 */
export const replicaSafeDatabaseServiceFactory = createServiceFactory({
  service: coreServices.database,
  deps: {
    config: coreServices.rootConfig,
    lifecycle: coreServices.lifecycle,
    logger: coreServices.logger,
    pluginMetadata: coreServices.pluginMetadata,
    rootLifecycle: coreServices.rootLifecycle,
    rootLogger: coreServices.rootLogger,
  },
  async createRootContext({ config, rootLifecycle, rootLogger }) {
    const manager = DatabaseManager.fromConfig(
      config.getOptional('backend.database')
        ? config
        : new ConfigReader({
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
          }),
      { rootLifecycle, rootLogger },
    );
    const lock = ReplicaStartupLock.fromConfig(
      config,
      rootLogger.child({ type: 'replicaStartup' }),
    );
    if (lock) {
      rootLifecycle.addStartupHook(() => lock.release());
      rootLifecycle.addShutdownHook(() => lock.release());
    }
    return { manager, lock };
  },
  async factory({ pluginMetadata, lifecycle, logger }, { manager, lock }) {
    await lock?.acquire();
    return manager.forPlugin(pluginMetadata.getId(), { lifecycle, logger });
  },
});
