import {
  netPromoterScore,
  OutcomeFigure,
  OutcomesReport,
} from '@internal/plugin-outcomes-common';
import { OutcomesStore, ProjectRun } from '../database/OutcomesStore';
import { CatalogGroup, ForgeSources } from './ForgeSources';
import {
  dayOf,
  formatMinutes,
  formatMoney,
  lastMonths,
  minutesBetween,
  monthOf,
  quantile,
} from './measures';

/** The months every series covers. */
const MONTHS = 6;
/** "Now" figures look back this far: enough projects to say something, recent enough to matter. */
const WINDOW_DAYS = 90;
const DAY = 86_400_000;
/** Exemptions expiring within this many days are called out. */
const EXPIRY_WARNING_DAYS = 14;
export const SELF_SERVICE_TARGET = 90;
export const ADOPTION_TARGET = 80;

/** Figures read live from other plugins; the collector stores them daily so they have a history too. */
export const LIVE_FIGURES = [
  'adoption',
  'violations',
  'open-exemptions',
  'control-coverage',
] as const;

type Scope = {
  /** 'org' or a group ref. */
  id: string;
  title: string;
  /** The groups the scope covers: every group for 'org', else the group and its sub-teams. */
  groups: Set<string>;
  /** Where failing checks are read: the top-level groups for 'org', else the group. */
  roots: string[];
  /** The group whose budget is the scope's. */
  budgetRef?: string;
};

function descendants(groups: CatalogGroup[], root: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const g of groups) {
    if (!g.parentRef) continue;
    children.set(g.parentRef, [...(children.get(g.parentRef) ?? []), g.ref]);
  }
  const result = new Set<string>();
  const visit = (ref: string) => {
    if (result.has(ref)) return;
    result.add(ref);
    (children.get(ref) ?? []).forEach(visit);
  };
  visit(root);
  return result;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const percent = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((1000 * part) / whole) / 10;

function met(
  value: number | null,
  target: { value: number; comparison: 'atLeast' | 'atMost' | 'above' },
): boolean | undefined {
  if (value === null) return undefined;
  if (target.comparison === 'atLeast') return value >= target.value;
  if (target.comparison === 'above') return value > target.value;
  return value <= target.value;
}

/**
 * Computes the outcomes figures of a scope (the organisation or a team with its sub-teams) from the runs and
 * answers the store keeps and what the other plugins say now. Logic only: no HTTP here.
 */
export class OutcomesService {
  constructor(
    private readonly deps: {
      store: OutcomesStore;
      sources: ForgeSources;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** The scopes that exist: 'org' and every group, with their titles. */
  async scopes(): Promise<Array<{ scope: string; title: string }>> {
    const groups = await this.deps.sources.groups();
    return [
      { scope: 'org', title: 'Organisation' },
      ...groups
        .map(g => ({ scope: g.ref, title: g.title }))
        .sort((a, b) => a.title.localeCompare(b.title)),
    ];
  }

  /** The groups a person sees the outcomes of: theirs and every sub-team of theirs. */
  async teamsVisibleTo(ownershipRefs: string[]): Promise<Set<string>> {
    const groups = await this.deps.sources.groups();
    const visible = new Set<string>();
    for (const ref of ownershipRefs.filter(r => r.startsWith('group:'))) {
      descendants(groups, ref).forEach(g => visible.add(g));
    }
    return visible;
  }

  private async scopeOf(id: string): Promise<Scope> {
    const groups = await this.deps.sources.groups();
    if (id === 'org') {
      const roots = groups.filter(g => !g.parentRef).map(g => g.ref);
      return {
        id,
        title: 'Organisation',
        groups: new Set(groups.map(g => g.ref)),
        roots,
        budgetRef: roots.length === 1 ? roots[0] : undefined,
      };
    }
    const group = groups.find(g => g.ref === id);
    return {
      id,
      title: group?.title ?? id,
      groups: descendants(groups, id),
      roots: [id],
      budgetRef: id,
    };
  }

  /** The report of a scope, every figure with its definition, source and monthly history. */
  async report(
    scopeId: string,
    visibleScopes: Array<{ scope: string; title: string }>,
  ): Promise<OutcomesReport> {
    const now = this.now();
    const scope = await this.scopeOf(scopeId);
    const months = lastMonths(now, MONTHS);
    const since = `${months[0]}-01T00:00:00.000Z`;
    const runs = (
      await this.deps.store.listRuns({ submittedSince: since })
    ).filter(
      r => scope.id === 'org' || (r.ownerRef && scope.groups.has(r.ownerRef)),
    );
    const [live, snapshots] = await Promise.all([
      this.liveFigures(scope),
      this.deps.store.listFigureSnapshots({
        scope: scope.id,
        sinceDay: `${months[0]}-01`,
      }),
    ]);
    const history = (figureId: string, current: number | null) =>
      months.map(month => {
        if (month === monthOf(now.toISOString()))
          return { period: month, value: current };
        const last = snapshots
          .filter(s => s.figureId === figureId && monthOf(s.day) === month)
          .at(-1);
        return { period: month, value: last ? last.value : null };
      });
    const liveFigures = live.map(f => ({
      ...f,
      series: history(f.id, f.value),
    }));

    const figures: OutcomeFigure[] = [
      ...this.speed(runs, months, now),
      await this.selfService(runs, months, now),
      liveFigures.find(f => f.id === 'adoption')!,
      this.projectsPerBlueprint(runs, months),
      ...liveFigures.filter(f => f.section === 'compliance'),
      ...(await this.audit(months, liveFigures)),
      ...(await this.cost(scope, months, now)),
      await this.satisfaction(scope, runs, months, now),
    ];
    return {
      scope: scope.id,
      scopeTitle: scope.title,
      generatedAt: now.toISOString(),
      months,
      figures,
      scopes: visibleScopes,
    };
  }

  /** The figures read live, for the report and for the collector's daily snapshot. */
  async liveFiguresOf(scopeId: string): Promise<OutcomeFigure[]> {
    return this.liveFigures(await this.scopeOf(scopeId));
  }

  private async liveFigures(scope: Scope): Promise<OutcomeFigure[]> {
    const { sources } = this.deps;
    const now = this.now();
    const [groups, projects, exemptions, failing, coverage] = await Promise.all(
      [
        sources.groups(),
        sources.projects(),
        sources.exemptions(),
        Promise.all(scope.roots.map(r => sources.failingChecks(r))).then(all =>
          all.flat(),
        ),
        sources.controlCoverage(),
      ],
    );
    const managed = projects.filter(
      p => p.blueprint && p.ownerRef && scope.groups.has(p.ownerRef),
    );
    const managedRefs = new Set(managed.map(p => p.ref));

    // Adoption: teams (groups of type team) in scope with at least one platform-managed project.
    const teams = groups.filter(
      g => g.type === 'team' && scope.groups.has(g.ref),
    );
    const adopting = teams.filter(t => managed.some(p => p.ownerRef === t.ref));
    const adoption = percent(adopting.length, teams.length);
    const adoptionTarget = {
      value: ADOPTION_TARGET,
      comparison: 'above' as const,
      display: `> ${ADOPTION_TARGET}% of teams within 12 months`,
    };

    // Violations: failing checks on platform-managed projects (the same project counted once per check).
    const violations = [
      ...new Set(
        failing
          .filter(f => managedRefs.has(f.entityRef))
          .map(f => `${f.entityRef}#${f.checkId}`),
      ),
    ];
    const violationTarget = {
      value: 0,
      comparison: 'atMost' as const,
      display: 'zero',
    };

    // Exemptions: approved, not yet expired, of entities or groups in scope.
    const inScope = (ref: string) =>
      ref.startsWith('group:')
        ? scope.groups.has(ref)
        : projects.some(
            p => p.ref === ref && p.ownerRef && scope.groups.has(p.ownerRef),
          );
    const open = exemptions.filter(
      e =>
        e.kind === 'exemption' &&
        e.status === 'approved' &&
        Date.parse(e.expiresAt) > now.getTime() &&
        inScope(e.entityRef),
    );
    const expiring = open.filter(
      e => Date.parse(e.expiresAt) < now.getTime() + EXPIRY_WARNING_DAYS * DAY,
    );

    const controls = coverage.reduce((n, c) => n + c.controls, 0);
    const covered = coverage.reduce((n, c) => n + c.covered, 0);
    const coveragePercent = percent(covered, controls);

    return [
      {
        id: 'adoption',
        section: 'adoption',
        title: 'Teams using Forge',
        value: adoption,
        unit: 'percent',
        display:
          adoption === null
            ? 'No teams in this scope'
            : `${adoption}% (${adopting.length} of ${teams.length} teams)`,
        target: adoptionTarget,
        met: met(adoption, adoptionTarget),
        definition:
          'Share of teams (catalog groups of type team) that own at least one platform-managed project: a ' +
          'component with the forge.io/blueprint annotation, which every blueprint sets.',
        source:
          'Catalog: groups and components (forge.io/blueprint); history from daily snapshots.',
        series: [],
        details: teams
          .filter(t => !adopting.includes(t))
          .map(t => ({ label: 'Not yet using Forge', value: t.title })),
      },
      {
        id: 'violations',
        section: 'compliance',
        title: 'Violations in platform-managed projects',
        value: violations.length,
        unit: 'count',
        display: `${violations.length} failing checks on ${
          new Set(violations.map(v => v.split('#')[0])).size
        } of ${managed.length} projects`,
        target: violationTarget,
        met: met(violations.length, violationTarget),
        definition:
          'Checks of the policy packs that currently fail on platform-managed projects (exempted and pending ' +
          'checks are not violations), each project and check counted once.',
        source:
          'Compliance: failing checks of the scope’s teams; catalog for which projects are platform-managed.',
        series: [],
        details: violations
          .slice(0, 10)
          .map(v => ({ label: v.split('#')[0], value: v.split('#')[1] })),
      },
      {
        id: 'open-exemptions',
        section: 'compliance',
        title: 'Open exemptions',
        value: open.length,
        unit: 'count',
        display: `${open.length} open, ${expiring.length} expiring within ${EXPIRY_WARNING_DAYS} days`,
        definition:
          'Approved compliance exemptions that have not expired, on the scope’s projects and teams; those that ' +
          `expire within ${EXPIRY_WARNING_DAYS} days are listed.`,
        source: 'Compliance: exemptions.',
        series: [],
        details: expiring.map(e => ({
          label: `${e.entityRef} expires ${e.expiresAt.slice(0, 10)}`,
          value: e.id,
        })),
      },
      {
        id: 'control-coverage',
        section: 'audit',
        title: 'Controls covered by automated checks',
        value: coveragePercent,
        unit: 'percent',
        display:
          coveragePercent === null
            ? 'No controls in the loaded policy packs'
            : `${coveragePercent}% (${covered} of ${controls} controls)`,
        definition:
          'Share of the controls the loaded policy packs list (SOC 2, NIST 800-53) that at least one automated ' +
          'check evidences. Organisation-wide: packs apply to every team.',
        source: 'Compliance: policy packs.',
        series: [],
        details: coverage.map(c => ({
          label: c.framework,
          value: `${c.covered} of ${c.controls} controls`,
        })),
      },
    ];
  }

  private speed(
    runs: ProjectRun[],
    months: string[],
    now: Date,
  ): OutcomeFigure[] {
    const recent = (r: ProjectRun) =>
      Date.parse(r.submittedAt) >= now.getTime() - WINDOW_DAYS * DAY;
    const figure = (
      id: string,
      title: string,
      milestone: (r: ProjectRun) => string | undefined,
      definition: string,
    ): OutcomeFigure => {
      const durations = (list: ProjectRun[]) =>
        list.flatMap(r => {
          const at = milestone(r);
          return r.status === 'completed' && at
            ? [minutesBetween(r.submittedAt, at)]
            : [];
        });
      const window = durations(runs.filter(recent));
      const median = quantile(window, 0.5);
      const p90 = quantile(window, 0.9);
      return {
        id,
        section: 'speed',
        title,
        value: median === undefined ? null : Math.round(median * 10) / 10,
        unit: 'minutes',
        display:
          median === undefined
            ? `No project created in the last ${WINDOW_DAYS} days`
            : `${formatMinutes(median)} median, ${formatMinutes(
                p90!,
              )} p90 (${plural(window.length, 'project')})`,
        definition,
        source:
          'Scaffolder: blueprint runs (tasks) and their step events, copied by the outcomes collector.',
        series: months.map(month => {
          const m = quantile(
            durations(runs.filter(r => monthOf(r.submittedAt) === month)),
            0.5,
          );
          return {
            period: month,
            value: m === undefined ? null : Math.round(m * 10) / 10,
          };
        }),
        details:
          p90 === undefined
            ? []
            : [{ label: 'p90', value: formatMinutes(p90) }],
      };
    };
    return [
      figure(
        'time-to-project',
        'Time to a ready project',
        r => r.completedAt,
        `From submitting a blueprint's form to the project registered in the catalog with its repository ` +
          `(the run completed), median and 90th percentile over the last ${WINDOW_DAYS} days; runs that failed ` +
          'or were cancelled are not counted.',
      ),
      figure(
        'time-to-environment',
        'Time to a requested environment',
        r => r.environmentRequestedAt,
        `From submitting a blueprint's form to its environment request published to the GitOps repository ` +
          `(where the platform's pipeline applies it), median and 90th percentile over the last ${WINDOW_DAYS} days.`,
      ),
    ];
  }

  private async selfService(
    runs: ProjectRun[],
    months: string[],
    now: Date,
  ): Promise<OutcomeFigure> {
    const approvals = (await this.deps.sources.exemptions()).filter(
      e => e.kind === 'approval',
    );
    const neededHuman = (r: ProjectRun) =>
      approvals.some(
        a =>
          a.entityRef === r.entityRef &&
          Date.parse(a.requestedAt) <=
            Date.parse(r.completedAt ?? now.toISOString()),
      );
    const created = (list: ProjectRun[]) =>
      list.filter(r => r.status === 'completed' && r.entityRef);
    const share = (list: ProjectRun[]) => {
      const done = created(list);
      return percent(done.filter(r => !neededHuman(r)).length, done.length);
    };
    const window = runs.filter(
      r => Date.parse(r.submittedAt) >= now.getTime() - WINDOW_DAYS * DAY,
    );
    const value = share(window);
    const humans = created(window).filter(neededHuman).length;
    const target = {
      value: SELF_SERVICE_TARGET,
      comparison: 'atLeast' as const,
      display: `${SELF_SERVICE_TARGET}% self-service`,
    };
    return {
      id: 'self-service',
      section: 'self-service',
      title: 'Projects created without waiting for a person',
      value,
      unit: 'percent',
      display:
        value === null
          ? `No project created in the last ${WINDOW_DAYS} days`
          : `${value}% self-service; ${humans} of ${
              created(window).length
            } needed an approval`,
      target,
      met: met(value, target),
      definition:
        'Share of projects created in the last 90 days for which the blueprint gate asked nobody for approval ' +
        '(no gate approval was requested for the project before it was created).',
      source:
        'Scaffolder runs (outcomes collector) and compliance gate approvals.',
      series: months.map(month => ({
        period: month,
        value: share(runs.filter(r => monthOf(r.submittedAt) === month)),
      })),
    };
  }

  private projectsPerBlueprint(
    runs: ProjectRun[],
    months: string[],
  ): OutcomeFigure {
    const created = runs.filter(r => r.status === 'completed');
    const count = (month: string, blueprint?: string) =>
      created.filter(
        r =>
          monthOf(r.completedAt ?? r.submittedAt) === month &&
          (!blueprint || r.blueprint === blueprint),
      ).length;
    const current = months.at(-1)!;
    const blueprints = [...new Set(created.map(r => r.blueprint))].sort();
    return {
      id: 'projects-per-blueprint',
      section: 'adoption',
      title: 'Projects created this month',
      value: count(current),
      unit: 'count',
      display: `${count(current)} this month, ${count(
        months.at(-2)!,
      )} last month`,
      definition:
        'Projects created with a blueprint (runs completed) per calendar month, in total and per blueprint.',
      source: 'Scaffolder: blueprint runs, copied by the outcomes collector.',
      series: months.map(month => ({ period: month, value: count(month) })),
      details: blueprints.map(b => ({
        label: b.replace(/^template:[^/]+\//, ''),
        value: months.map(m => `${m}: ${count(m, b)}`).join(', '),
      })),
    };
  }

  private async audit(
    months: string[],
    liveFigures: OutcomeFigure[],
  ): Promise<OutcomeFigure[]> {
    const timings = await this.deps.store.listEvidenceTimings({
      since: `${months[0]}-01T00:00:00.000Z`,
    });
    const frameworks = [...new Set(timings.map(t => t.framework))].sort();
    const latest = frameworks.map(
      f => timings.filter(t => t.framework === f).at(-1)!,
    );
    const slowest = latest.length
      ? Math.max(...latest.map(t => t.durationMs)) / 1000
      : null;
    return [
      {
        id: 'evidence-time',
        section: 'audit',
        title: 'Time to produce audit evidence',
        value: slowest === null ? null : Math.round(slowest * 100) / 100,
        unit: 'seconds',
        display:
          slowest === null
            ? 'Not measured yet: the outcomes collector exports evidence once a day'
            : latest
                .map(
                  t => `${t.framework} ${(t.durationMs / 1000).toFixed(2)} s`,
                )
                .join(', '),
        definition:
          'How long the organisation-wide evidence export (OSCAL, every control of the framework, with ' +
          'history and decisions) takes, measured by running it once a day; the slowest framework is the value.',
        source:
          'Compliance: GET /api/compliance/evidence/timing (the export of GET /evidence, timed by compliance for the outcomes collector).',
        series: months.map(month => {
          const m = quantile(
            timings
              .filter(t => monthOf(t.measuredAt) === month)
              .map(t => t.durationMs / 1000),
            0.5,
          );
          return {
            period: month,
            value: m === undefined ? null : Math.round(m * 100) / 100,
          };
        }),
        details: latest.map(t => ({
          label: t.framework,
          value: `${(t.durationMs / 1000).toFixed(2)} s for ${Math.round(
            t.bytes / 1024,
          )} KiB, ${t.measuredAt.slice(0, 16).replace('T', ' ')}`,
        })),
      },
      liveFigures.find(f => f.id === 'control-coverage')!,
    ];
  }

  private async cost(
    scope: Scope,
    months: string[],
    now: Date,
  ): Promise<OutcomeFigure[]> {
    const budgets = await this.deps.sources.budgets();
    const budget = budgets.find(b => b.entityRef === scope.budgetRef);
    const snapshots = scope.budgetRef
      ? await this.deps.store.listBudgetSnapshots({
          scopeRefs: [scope.budgetRef],
        })
      : [];
    const used = budget
      ? percent(budget.monthToDate, budget.monthlyAmount)
      : null;
    const usedTarget = {
      value: 100,
      comparison: 'atMost' as const,
      display: 'within budget',
    };

    // Last month's forecast: the first snapshot on or after the 15th, against the month's last snapshot.
    const lastMonth = months.at(-2)!;
    const ofLastMonth = snapshots.filter(s => s.month === lastMonth);
    const forecast = ofLastMonth.find(s => Number(s.day.slice(8, 10)) >= 15);
    const actual = ofLastMonth.at(-1);
    const accuracy =
      forecast && actual && actual.monthToDate > 0
        ? Math.round(
            1000 *
              Math.max(
                0,
                1 -
                  Math.abs(forecast.forecastMonthEnd - actual.monthToDate) /
                    actual.monthToDate,
              ),
          ) / 10
        : null;
    return [
      {
        id: 'spend-vs-budget',
        section: 'cost',
        title: 'Spend against budget this month',
        value: used,
        unit: 'percent',
        display: budget
          ? `${used}% used: ${formatMoney(
              budget.monthToDate,
              budget.currency,
            )} of ${formatMoney(
              budget.monthlyAmount,
              budget.currency,
            )}, forecast ${formatMoney(
              budget.forecastMonthEnd,
              budget.currency,
            )}`
          : `${scope.title} has no monthly budget`,
        target: usedTarget,
        met: met(used, usedTarget),
        definition:
          'Month-to-date spend attributed to the scope (its projects and sub-teams) as a share of its monthly ' +
          'budget (forge.io/monthly-budget or set in Forge); the month-end forecast beside it.',
        source:
          'Cost: budgets (GET /api/cost-insights/budgets); history from daily snapshots.',
        series: months.map(month => {
          const last = snapshots.filter(s => s.month === month).at(-1);
          if (month === monthOf(now.toISOString()))
            return { period: month, value: used };
          return {
            period: month,
            value: last ? percent(last.monthToDate, last.monthlyAmount) : null,
          };
        }),
        details: budgets
          .filter(
            b =>
              b.entityRef.startsWith('group:') && scope.groups.has(b.entityRef),
          )
          .map(b => ({
            label: b.entityRef,
            value: `${formatMoney(b.monthToDate, b.currency)} of ${formatMoney(
              b.monthlyAmount,
              b.currency,
            )}`,
          })),
      },
      {
        id: 'forecast-accuracy',
        section: 'cost',
        title: 'Forecast accuracy last month',
        value: accuracy,
        unit: 'percent',
        display:
          accuracy === null
            ? `No forecast recorded for ${lastMonth} yet: Forge records budgets daily from the collector's first run`
            : `${accuracy}%: forecast ${formatMoney(
                forecast!.forecastMonthEnd,
                forecast!.currency,
              )} on ${forecast!.day}, spent ${formatMoney(
                actual!.monthToDate,
                actual!.currency,
              )}`,
        definition:
          '1 − |forecast − actual| / actual for last month: the month-end forecast as the cost backend gave it on ' +
          'the 15th (or the first day recorded after it), against the month’s spend as last recorded.',
        source: 'Cost: budgets, snapshotted daily by the outcomes collector.',
        series: months.map(month => {
          const rows = snapshots.filter(s => s.month === month);
          const f = rows.find(s => Number(s.day.slice(8, 10)) >= 15);
          const a = rows.at(-1);
          return {
            period: month,
            value:
              f &&
              a &&
              a.monthToDate > 0 &&
              month !== monthOf(now.toISOString())
                ? Math.round(
                    1000 *
                      Math.max(
                        0,
                        1 -
                          Math.abs(f.forecastMonthEnd - a.monthToDate) /
                            a.monthToDate,
                      ),
                  ) / 10
                : null,
          };
        }),
      },
    ];
  }

  private async satisfaction(
    scope: Scope,
    runs: ProjectRun[],
    months: string[],
    now: Date,
  ): Promise<OutcomeFigure> {
    const projects = await this.deps.sources.projects();
    const inScope = new Set([
      ...runs.flatMap(r => (r.entityRef ? [r.entityRef] : [])),
      ...projects
        .filter(
          p =>
            scope.id === 'org' || (p.ownerRef && scope.groups.has(p.ownerRef)),
        )
        .map(p => p.ref),
    ]);
    const answers = (await this.deps.store.listSurveyResponses()).filter(
      a => scope.id === 'org' || inScope.has(a.entityRef),
    );
    const window = answers.filter(
      a => Date.parse(a.answeredAt) >= now.getTime() - WINDOW_DAYS * DAY,
    );
    const nps = netPromoterScore(window.map(a => a.score)) ?? null;
    return {
      id: 'nps',
      section: 'satisfaction',
      title: 'Would recommend Forge (NPS)',
      value: nps,
      unit: 'nps',
      display:
        nps === null
          ? `No answers in the last ${WINDOW_DAYS} days`
          : `${nps > 0 ? '+' : ''}${nps} from ${plural(
              window.length,
              'answer',
            )} (${plural(
              window.filter(a => a.score >= 9).length,
              'promoter',
            )}, ${plural(
              window.filter(a => a.score <= 6).length,
              'detractor',
            )})`,
      definition:
        'Net Promoter Score of the answers to "How likely are you to recommend Forge to a colleague?" (0-10), ' +
        'asked once after each project is created: % promoters (9-10) minus % detractors (0-6), last 90 days.',
      source: 'Outcomes: the satisfaction question on a new project’s page.',
      series: months.map(month => ({
        period: month,
        value:
          netPromoterScore(
            answers
              .filter(a => monthOf(a.answeredAt) === month)
              .map(a => a.score),
          ) ?? null,
      })),
      details: window
        .filter(a => a.comment)
        .slice(-5)
        .map(a => ({
          label: `${a.score}/10 on ${a.entityRef}`,
          value: a.comment!,
        })),
    };
  }

  /** Today's day, for the collector's snapshots. */
  today(): string {
    return dayOf(this.now());
  }
}
