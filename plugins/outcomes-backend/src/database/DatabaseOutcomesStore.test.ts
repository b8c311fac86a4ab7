import { TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseOutcomesStore } from './DatabaseOutcomesStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'DatabaseOutcomesStore (%s)',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      return DatabaseOutcomesStore.forKnex(knex);
    }

    it('keeps a run as the scaffolder reports it, updating it until it is finished', async () => {
      const store = await createStore();
      await store.upsertRuns([
        {
          taskId: 't1',
          blueprint: 'template:default/dbt-analytics',
          ownerRef: 'group:default/retention-analytics',
          createdBy: 'user:default/liam.chen',
          status: 'open',
          submittedAt: '2026-11-02T09:00:00.000Z',
        },
      ]);
      expect(await store.finishedRunIds()).toEqual(new Set());
      await store.upsertRuns([
        {
          taskId: 't1',
          blueprint: 'template:default/dbt-analytics',
          ownerRef: 'group:default/retention-analytics',
          createdBy: 'user:default/liam.chen',
          entityRef: 'component:default/churn-dbt',
          status: 'completed',
          submittedAt: '2026-11-02T09:00:00.000Z',
          completedAt: '2026-11-02T09:04:30.000Z',
          environmentRequestedAt: '2026-11-02T09:04:10.000Z',
        },
      ]);
      expect(await store.listRuns()).toEqual([
        {
          taskId: 't1',
          blueprint: 'template:default/dbt-analytics',
          ownerRef: 'group:default/retention-analytics',
          createdBy: 'user:default/liam.chen',
          entityRef: 'component:default/churn-dbt',
          status: 'completed',
          submittedAt: '2026-11-02T09:00:00.000Z',
          completedAt: '2026-11-02T09:04:30.000Z',
          environmentRequestedAt: '2026-11-02T09:04:10.000Z',
        },
      ]);
      expect(await store.finishedRunIds()).toEqual(new Set(['t1']));
      expect(
        await store.listRuns({ submittedSince: '2026-11-03T00:00:00Z' }),
      ).toEqual([]);
    });

    it('takes one answer per person and project, and never overwrites it', async () => {
      const store = await createStore();
      const answer = {
        entityRef: 'component:default/churn-dbt',
        respondent: 'user:default/liam.chen',
        score: 9,
        comment: 'Ready before lunch',
        answeredAt: '2026-11-02T10:00:00.000Z',
      };
      expect(await store.addSurveyResponse(answer)).toBe(true);
      expect(
        await store.addSurveyResponse({
          ...answer,
          score: 2,
          comment: undefined,
        }),
      ).toBe(false);
      expect(await store.listSurveyResponses()).toEqual([answer]);
      expect(
        await store.listSurveyResponses({ respondent: 'user:default/guest' }),
      ).toEqual([]);
    });

    it('keeps one budget snapshot per day and scope, the latest of the day', async () => {
      const store = await createStore();
      const snapshot = {
        day: '2026-11-15',
        scopeRef: 'group:default/retention-analytics',
        month: '2026-11',
        monthlyAmount: 18000,
        monthToDate: 8000,
        forecastMonthEnd: 16100.5,
        currency: 'USD',
      };
      await store.saveBudgetSnapshots([snapshot]);
      await store.saveBudgetSnapshots([{ ...snapshot, monthToDate: 8100 }]);
      await store.saveBudgetSnapshots([
        { ...snapshot, day: '2026-12-01', month: '2026-12', monthToDate: 10 },
      ]);
      expect(await store.listBudgetSnapshots({ month: '2026-11' })).toEqual([
        { ...snapshot, monthToDate: 8100 },
      ]);
      expect(
        await store.listBudgetSnapshots({ scopeRefs: ['group:default/other'] }),
      ).toEqual([]);
    });

    it('keeps the latest value of a figure per day and scope', async () => {
      const store = await createStore();
      const snap = {
        day: '2026-11-30',
        scope: 'org',
        figureId: 'violations',
        value: 4,
      };
      await store.saveFigureSnapshots([snap]);
      await store.saveFigureSnapshots([{ ...snap, value: 3 }]);
      await store.saveFigureSnapshots([
        { ...snap, scope: 'group:default/a', value: 9 },
      ]);
      expect(
        await store.listFigureSnapshots({
          scope: 'org',
          sinceDay: '2026-11-01',
        }),
      ).toEqual([{ ...snap, value: 3 }]);
      expect(
        await store.listFigureSnapshots({
          scope: 'org',
          sinceDay: '2026-12-01',
        }),
      ).toEqual([]);
    });

    it('records how long evidence exports took', async () => {
      const store = await createStore();
      await store.addEvidenceTiming({
        framework: 'SOC2',
        measuredAt: '2026-11-01T03:00:00.000Z',
        durationMs: 812.4,
        bytes: 120000,
      });
      await store.addEvidenceTiming({
        framework: 'SOC2',
        measuredAt: '2026-12-01T03:00:00.000Z',
        durationMs: 640,
        bytes: 121000,
      });
      expect(
        await store.listEvidenceTimings({ since: '2026-11-15T00:00:00Z' }),
      ).toEqual([
        {
          framework: 'SOC2',
          measuredAt: '2026-12-01T03:00:00.000Z',
          durationMs: 640,
          bytes: 121000,
        },
      ]);
    });
  },
);
