import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { InMemorySources } from '../__testUtils__/InMemorySources';
import { DatabaseOutcomesStore } from '../database/DatabaseOutcomesStore';
import { OutcomesCollector } from './OutcomesCollector';
import { OutcomesService } from './OutcomesService';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function setup(now = new Date('2026-12-10T12:00:00Z')) {
  const store = await DatabaseOutcomesStore.forKnex(
    await databases.init('SQLITE_3'),
  );
  const sources = new InMemorySources();
  const clock = { now };
  const service = new OutcomesService({ store, sources, now: () => clock.now });
  const collector = new OutcomesCollector({
    store,
    sources,
    service,
    logger: mockServices.logger.mock(),
    frameworks: ['SOC2', 'NIST-800-53'],
    now: () => clock.now,
  });
  return { store, sources, collector, clock };
}

describe('OutcomesCollector', () => {
  it('copies blueprint runs with the times of their milestones, and asks about a finished run only once', async () => {
    const { store, sources, collector } = await setup();
    sources.tasks = [
      {
        id: 't1',
        status: 'completed',
        createdAt: '2026-12-01T09:00:00.000Z',
        createdBy: 'user:default/ann',
        templateRef: 'template:default/dbt-analytics',
        parameters: { name: 'churn-dbt', owner: 'group:default/alpha' },
      },
      {
        id: 't2',
        status: 'processing',
        createdAt: '2026-12-01T10:00:00.000Z',
        createdBy: 'user:default/bob',
        templateRef: 'template:default/ml-model-serving',
        parameters: { name: 'fraud-api', owner: 'beta' },
      },
    ];
    sources.events.set('t1', [
      {
        type: 'log',
        createdAt: '2026-12-01T09:02:00.000Z',
        body: { stepId: 'publish', status: 'completed' },
      },
      {
        type: 'log',
        createdAt: '2026-12-01T09:03:00.000Z',
        body: { stepId: 'publish-environment', status: 'completed' },
      },
      {
        type: 'completion',
        createdAt: '2026-12-01T09:04:00.000Z',
        body: {
          output: { links: [{ entityRef: 'component:default/churn-dbt' }] },
        },
      },
    ]);
    await collector.collect();
    expect(await store.listRuns()).toEqual([
      {
        taskId: 't1',
        blueprint: 'template:default/dbt-analytics',
        ownerRef: 'group:default/alpha',
        createdBy: 'user:default/ann',
        entityRef: 'component:default/churn-dbt',
        status: 'completed',
        submittedAt: '2026-12-01T09:00:00.000Z',
        completedAt: '2026-12-01T09:04:00.000Z',
        environmentRequestedAt: '2026-12-01T09:03:00.000Z',
      },
      {
        taskId: 't2',
        blueprint: 'template:default/ml-model-serving',
        ownerRef: 'group:default/beta',
        createdBy: 'user:default/bob',
        status: 'open',
        submittedAt: '2026-12-01T10:00:00.000Z',
      },
    ]);
    expect(sources.eventRequests).toEqual(['t1']);

    sources.tasks[1].status = 'failed';
    await collector.collect();
    expect(sources.eventRequests).toEqual(['t1', 't2']);
    expect((await store.listRuns()).map(r => r.status)).toEqual([
      'completed',
      'failed',
    ]);
  });

  it('times each framework’s evidence export once a day, and snapshots budgets and live figures', async () => {
    const { store, sources, collector, clock } = await setup();
    sources.budgetList = [
      {
        entityRef: 'group:default/alpha',
        month: '2026-12',
        currency: 'USD',
        monthlyAmount: 1000,
        monthToDate: 250,
        forecastMonthEnd: 900,
      },
    ];
    await collector.collect();
    await collector.collect();
    expect(sources.evidenceExports).toEqual(['SOC2', 'NIST-800-53']);
    clock.now = new Date('2026-12-11T12:00:00Z');
    await collector.collect();
    expect(sources.evidenceExports).toHaveLength(4);
    expect((await store.listBudgetSnapshots({})).map(s => s.day)).toEqual([
      '2026-12-10',
      '2026-12-11',
    ]);
    const figures = await store.listFigureSnapshots({
      scope: 'org',
      sinceDay: '2026-12-11',
    });
    expect(figures.find(f => f.figureId === 'control-coverage')?.value).toBe(
      72.5,
    );
  });

  it('goes on with the other parts when one source fails', async () => {
    const { sources, collector, store } = await setup();
    sources.scaffolderTasks = async () => {
      throw new Error('scaffolder down');
    };
    await collector.collect();
    expect(sources.evidenceExports).toEqual(['SOC2', 'NIST-800-53']);
    expect(await store.listRuns()).toEqual([]);
  });
});
