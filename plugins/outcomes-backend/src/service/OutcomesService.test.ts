import { TestDatabases } from '@backstage/backend-test-utils';
import { InMemorySources } from '../__testUtils__/InMemorySources';
import { DatabaseOutcomesStore } from '../database/DatabaseOutcomesStore';
import { ProjectRun } from '../database/OutcomesStore';
import { OutcomesService } from './OutcomesService';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const NOW = new Date('2026-12-10T12:00:00Z');

function run(
  taskId: string,
  minutes: number,
  overrides: Partial<ProjectRun> = {},
): ProjectRun {
  const submittedAt = overrides.submittedAt ?? '2026-12-01T09:00:00.000Z';
  const completedAt = new Date(
    Date.parse(submittedAt) + minutes * 60_000,
  ).toISOString();
  return {
    taskId,
    blueprint: 'template:default/dbt-analytics',
    ownerRef: 'group:default/alpha',
    createdBy: 'user:default/ann',
    entityRef: `component:default/${taskId}`,
    status: 'completed',
    submittedAt,
    completedAt,
    environmentRequestedAt: new Date(
      Date.parse(completedAt) - 30_000,
    ).toISOString(),
    ...overrides,
  };
}

async function setup() {
  const store = await DatabaseOutcomesStore.forKnex(
    await databases.init('SQLITE_3'),
  );
  const sources = new InMemorySources();
  const service = new OutcomesService({ store, sources, now: () => NOW });
  const figure = async (scope: string, id: string) =>
    (await service.report(scope, [])).figures.find(f => f.id === id)!;
  return { store, sources, service, figure };
}

describe('OutcomesService', () => {
  it('times blueprint runs to a ready project: median and p90, per month, completed runs only', async () => {
    const { store, figure } = await setup();
    await store.upsertRuns([
      ...[4, 6, 8, 10, 30].map((m, i) => run(`r${i}`, m)),
      run('failed', 1, { status: 'failed', completedAt: undefined }),
      run('old', 50, { submittedAt: '2026-10-03T09:00:00.000Z' }),
    ]);
    const speed = await figure('org', 'time-to-project');
    // Last 90 days: 4, 6, 8, 10, 30, 50 minutes -> median 9, p90 40.
    expect(speed.value).toBe(9);
    expect(speed.display).toBe('9 min median, 40 min p90 (6 projects)');
    expect(speed.series.map(p => [p.period, p.value])).toEqual([
      ['2026-07', null],
      ['2026-08', null],
      ['2026-09', null],
      ['2026-10', 50],
      ['2026-11', null],
      ['2026-12', 8],
    ]);
    expect(speed.definition).toMatch(/submitting a blueprint's form/);
    expect(speed.source).toMatch(/Scaffolder/);
    expect((await figure('org', 'time-to-environment')).value).toBe(8.5);
  });

  it('counts a project as self-service unless the gate asked for an approval first', async () => {
    const { store, sources, figure } = await setup();
    await store.upsertRuns(
      Array.from({ length: 10 }, (_, i) => run(`p${i}`, 5)),
    );
    sources.exemptionList = [
      {
        id: 'a1',
        kind: 'approval',
        entityRef: 'component:default/p3',
        status: 'approved',
        requestedAt: '2026-12-01T09:01:00.000Z',
        expiresAt: '2027-01-01T00:00:00.000Z',
      },
    ];
    const selfService = await figure('org', 'self-service');
    expect(selfService.value).toBe(90);
    expect(selfService.met).toBe(true);
    expect(selfService.display).toBe(
      '90% self-service; 1 of 10 needed an approval',
    );
    sources.exemptionList.push({
      ...sources.exemptionList[0],
      id: 'a2',
      entityRef: 'component:default/p4',
    });
    expect((await figure('org', 'self-service')).met).toBe(false);
  });

  it('reports adoption, violations and exemptions of a team with its sub-teams only', async () => {
    const { sources, figure } = await setup();
    sources.projectList = [
      {
        ref: 'component:default/a1',
        ownerRef: 'group:default/alpha',
        blueprint: 'dbt-analytics@1.0.0',
      },
      { ref: 'component:default/b1', ownerRef: 'group:default/beta' },
      {
        ref: 'component:default/g1',
        ownerRef: 'group:default/gamma',
        blueprint: 'ml-model-serving@1.0.0',
      },
    ];
    sources.failing = [
      {
        entityRef: 'component:default/a1',
        ownerRef: 'group:default/alpha',
        checkId: 'c1',
        severity: 'high',
      },
      {
        entityRef: 'component:default/b1',
        ownerRef: 'group:default/beta',
        checkId: 'c1',
        severity: 'high',
      },
      {
        entityRef: 'component:default/g1',
        ownerRef: 'group:default/gamma',
        checkId: 'c2',
        severity: 'low',
      },
    ];
    sources.exemptionList = [
      {
        id: 'e1',
        kind: 'exemption',
        entityRef: 'component:default/a1',
        status: 'approved',
        requestedAt: '2026-11-01T00:00:00Z',
        expiresAt: '2026-12-20T00:00:00Z',
      },
      {
        id: 'e2',
        kind: 'exemption',
        entityRef: 'component:default/g1',
        status: 'approved',
        requestedAt: '2026-11-01T00:00:00Z',
        expiresAt: '2027-03-01T00:00:00Z',
      },
      {
        id: 'e3',
        kind: 'exemption',
        entityRef: 'component:default/a1',
        status: 'approved',
        requestedAt: '2026-11-01T00:00:00Z',
        expiresAt: '2026-12-01T00:00:00Z',
      },
    ];
    const org = {
      adoption: await figure('org', 'adoption'),
      violations: await figure('org', 'violations'),
      exemptions: await figure('org', 'open-exemptions'),
    };
    expect(org.adoption.display).toBe('66.7% (2 of 3 teams)');
    expect(org.adoption.met).toBe(false);
    // b1 is not platform-managed: its failing check is not a violation of the platform.
    expect(org.violations.value).toBe(2);
    expect(org.violations.met).toBe(false);
    expect(org.exemptions.display).toBe('2 open, 1 expiring within 14 days');

    const data = 'group:default/data';
    expect((await figure(data, 'adoption')).display).toBe('50% (1 of 2 teams)');
    expect((await figure(data, 'violations')).value).toBe(1);
    expect((await figure(data, 'open-exemptions')).value).toBe(1);
  });

  it('compares last month’s mid-month forecast with what was spent', async () => {
    const { store, sources, figure } = await setup();
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
    const snapshot = (
      day: string,
      monthToDate: number,
      forecastMonthEnd: number,
    ) => ({
      day,
      scopeRef: 'group:default/alpha',
      month: '2026-11',
      monthlyAmount: 1000,
      monthToDate,
      forecastMonthEnd,
      currency: 'USD',
    });
    expect(
      (await figure('group:default/alpha', 'forecast-accuracy')).value,
    ).toBeNull();
    await store.saveBudgetSnapshots([
      snapshot('2026-11-10', 300, 700),
      snapshot('2026-11-15', 500, 1100),
      snapshot('2026-11-30', 1000, 1000),
    ]);
    const accuracy = await figure('group:default/alpha', 'forecast-accuracy');
    expect(accuracy.value).toBe(90);
    expect(accuracy.display).toBe(
      '90%: forecast $1,100 on 2026-11-15, spent $1,000',
    );
    const spend = await figure('group:default/alpha', 'spend-vs-budget');
    expect(spend.value).toBe(25);
    expect(spend.series.slice(-2).map(p => p.value)).toEqual([100, 25]);
  });

  it('scores satisfaction as NPS of the answers about the scope’s projects', async () => {
    const { store, figure } = await setup();
    await store.upsertRuns([
      run('a', 5),
      run('b', 5, { ownerRef: 'group:default/gamma' }),
    ]);
    for (const [entityRef, respondent, score] of [
      ['component:default/a', 'user:default/ann', 10],
      ['component:default/a', 'user:default/bob', 3],
      ['component:default/b', 'user:default/cid', 9],
    ] as const) {
      await store.addSurveyResponse({
        entityRef,
        respondent,
        score,
        answeredAt: '2026-12-05T00:00:00.000Z',
      });
    }
    expect((await figure('org', 'nps')).value).toBe(33);
    expect((await figure('group:default/alpha', 'nps')).value).toBe(0);
    expect((await figure('group:default/gamma', 'nps')).display).toBe(
      '+100 from 1 answer (1 promoter, 0 detractors)',
    );
  });

  it('shows every team a person belongs to and the teams below them', async () => {
    const { service } = await setup();
    expect(
      [
        ...(await service.teamsVisibleTo([
          'user:default/ann',
          'group:default/data',
        ])),
      ].sort(),
    ).toEqual([
      'group:default/alpha',
      'group:default/beta',
      'group:default/data',
    ]);
  });
});
