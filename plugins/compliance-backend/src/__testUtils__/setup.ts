import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import path from 'node:path';
import { DatabaseComplianceStore } from '../database/DatabaseComplianceStore';
import { ComplianceService } from '../service/ComplianceService';
import { DashboardService } from '../service/DashboardService';
import { EvidenceService } from '../service/EvidenceService';
import { ExemptionService } from '../service/ExemptionService';
import { PolicyPackLoader } from '../service/PolicyPackLoader';
import { CheckpointPublisher } from '../service/checkpoints';
import { HistoryKeys } from '../service/historyKeys';
import { HistoryService } from '../service/HistoryService';
import {
  demoEntities,
  InMemoryCatalog,
  RecordingNotifier,
  REPO_ROOT,
} from './catalog';

export const testDatabases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

/** The whole compliance backend minus HTTP: real store, real packs, the demo catalog in memory. */
export async function createHarness(
  knex: Knex,
  options: {
    now?: () => Date;
    policyDirectory?: string;
    keys?: HistoryKeys;
    /** Append-only checkpoint file; by default checkpoints are kept in the database only. */
    checkpointFile?: string;
  } = {},
) {
  const keys = options.keys ?? HistoryKeys.generate();
  const store = await DatabaseComplianceStore.fromKnex(knex, { keys });
  const checkpoints = new CheckpointPublisher({
    store,
    keys,
    logger: mockServices.logger.mock(),
    file: options.checkpointFile,
  });
  const history = new HistoryService({ store, keys, checkpoints });
  const loader = new PolicyPackLoader(
    options.policyDirectory ?? path.join(REPO_ROOT, 'policies'),
    mockServices.logger.mock(),
    {
      onLoaded: packs =>
        store.recordPolicyPacks(
          packs,
          (options.now?.() ?? new Date()).toISOString(),
        ),
    },
  );
  await loader.reload();
  const catalog = new InMemoryCatalog(demoEntities());
  const notifier = new RecordingNotifier();
  const logger = mockServices.logger.mock();
  const compliance = new ComplianceService({
    store,
    loader,
    catalog,
    notifier,
    logger,
    now: options.now,
  });
  const exemptions = new ExemptionService({
    store,
    loader,
    catalog,
    notifier,
    maxDays: 90,
    warnDaysBeforeExpiry: 14,
    reevaluate: ref => compliance.evaluateEntities([ref]),
    now: options.now,
  });
  const evidence = new EvidenceService({
    store,
    loader,
    catalog,
    organization: 'Meridian Mutual',
    history,
  });
  const dashboard = new DashboardService({
    store,
    loader,
    catalog,
    now: options.now,
  });
  return {
    keys,
    checkpoints,
    history,
    store,
    loader,
    catalog,
    notifier,
    compliance,
    exemptions,
    evidence,
    dashboard,
  };
}

/** A clock tests move forward by hand. */
export function testClock(start = '2026-11-20T09:00:00.000Z') {
  let now = new Date(start);
  return {
    now: () => now,
    advance(hours: number) {
      now = new Date(now.getTime() + hours * 3600 * 1000);
    },
  };
}
