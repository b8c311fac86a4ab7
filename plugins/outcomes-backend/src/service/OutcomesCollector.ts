import { LoggerService } from '@backstage/backend-plugin-api';
import { OutcomesStore, ProjectRun } from '../database/OutcomesStore';
import { ForgeSources, ScaffolderTask } from './ForgeSources';
import { LIVE_FIGURES, OutcomesService } from './OutcomesService';

const FINISHED: Record<string, ProjectRun['status']> = {
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

const SNAPSHOT_EVERY_MS = 3600_000;

/** The step of every blueprint that publishes the environment request (templates/_shared/blueprint.yaml). */
export const ENVIRONMENT_STEP = 'publish-environment';

function groupRefOf(owner: unknown): string | undefined {
  if (typeof owner !== 'string' || !owner) return undefined;
  if (owner.includes(':')) return owner.toLowerCase();
  return `group:default/${owner}`.toLowerCase();
}

/**
 * Gathers what the outcomes figures need over time and no other plugin keeps: the blueprint runs (copied from
 * the scaffolder with the times of their milestones), daily budget snapshots, daily values of the figures read live,
 * and how long an evidence export takes. Runs as a scheduled job on one replica at a time; every part is
 * idempotent, and one source failing does not stop the others.
 */
export class OutcomesCollector {
  constructor(
    private readonly deps: {
      store: OutcomesStore;
      sources: ForgeSources;
      service: OutcomesService;
      logger: LoggerService;
      frameworks: string[];
      now?: () => Date;
    },
  ) {}

  /** When budgets and live figures were last snapshotted by this replica: they change slowly, runs do not. */
  private snapshotAt = 0;

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  async collect(): Promise<void> {
    const snapshot =
      this.now().getTime() - this.snapshotAt >= SNAPSHOT_EVERY_MS ||
      this.deps.service.today() !==
        new Date(this.snapshotAt).toISOString().slice(0, 10);
    if (snapshot) this.snapshotAt = this.now().getTime();
    for (const [name, part] of [
      ['blueprint runs', () => this.syncRuns()],
      [
        'budget snapshots',
        () => (snapshot ? this.snapshotBudgets() : undefined),
      ],
      [
        'figure snapshots',
        () => (snapshot ? this.snapshotFigures() : undefined),
      ],
      ['evidence timing', () => this.timeEvidence()],
    ] as const) {
      try {
        await part();
      } catch (error) {
        this.deps.logger.warn(
          `Outcomes: could not collect ${name}: ${(error as Error).message}`,
        );
      }
    }
  }

  /** Copies runs the store does not hold as finished yet; returns how many were written. */
  async syncRuns(): Promise<number> {
    const { store, sources } = this.deps;
    const finished = await store.finishedRunIds();
    const tasks = (await sources.scaffolderTasks()).filter(
      t => !finished.has(t.id) && t.templateRef,
    );
    const runs: ProjectRun[] = [];
    for (const task of tasks) runs.push(await this.runOf(task));
    await store.upsertRuns(runs);
    return runs.length;
  }

  private async runOf(task: ScaffolderTask): Promise<ProjectRun> {
    const status = FINISHED[task.status] ?? 'open';
    const run: ProjectRun = {
      taskId: task.id,
      blueprint: task.templateRef!,
      ownerRef: groupRefOf(task.parameters.owner),
      createdBy: task.createdBy,
      status,
      submittedAt: new Date(task.createdAt).toISOString(),
    };
    if (status === 'open') return run;
    const events = await this.deps.sources.scaffolderTaskEvents(task.id);
    const completion = events.find(e => e.type === 'completion');
    const environment = events.find(
      e =>
        e.type === 'log' &&
        e.body.stepId === ENVIRONMENT_STEP &&
        e.body.status === 'completed',
    );
    const registered = completion?.body.output?.links?.find(
      l => l.entityRef,
    )?.entityRef;
    const name = task.parameters.name;
    return {
      ...run,
      completedAt:
        status === 'completed' && completion
          ? new Date(completion.createdAt).toISOString()
          : undefined,
      environmentRequestedAt: environment
        ? new Date(environment.createdAt).toISOString()
        : undefined,
      entityRef:
        registered?.toLowerCase() ??
        (status === 'completed' && typeof name === 'string'
          ? `component:default/${name}`.toLowerCase()
          : undefined),
    };
  }

  async snapshotBudgets(): Promise<void> {
    const day = this.deps.service.today();
    const budgets = await this.deps.sources.budgets();
    await this.deps.store.saveBudgetSnapshots(
      budgets.map(b => ({
        day,
        scopeRef: b.entityRef,
        month: b.month,
        monthlyAmount: b.monthlyAmount,
        monthToDate: b.monthToDate,
        forecastMonthEnd: b.forecastMonthEnd,
        currency: b.currency,
      })),
    );
  }

  async snapshotFigures(): Promise<void> {
    const { service, store } = this.deps;
    const day = service.today();
    for (const { scope } of await service.scopes()) {
      const figures = await service.liveFiguresOf(scope);
      await store.saveFigureSnapshots(
        figures
          .filter(f => (LIVE_FIGURES as readonly string[]).includes(f.id))
          .flatMap(f =>
            f.value === null
              ? []
              : [{ day, scope, figureId: f.id, value: f.value }],
          ),
      );
    }
  }

  /** Exports each framework's evidence once a day and records how long it took. */
  async timeEvidence(): Promise<void> {
    const { store, sources, frameworks } = this.deps;
    const today = this.deps.service.today();
    const measured = new Set(
      (
        await store.listEvidenceTimings({ since: `${today}T00:00:00.000Z` })
      ).map(t => t.framework),
    );
    for (const framework of frameworks.filter(f => !measured.has(f))) {
      const timing = await sources.timeEvidenceExport(framework);
      await store.addEvidenceTiming({
        framework,
        measuredAt: this.now().toISOString(),
        ...timing,
      });
    }
  }
}
