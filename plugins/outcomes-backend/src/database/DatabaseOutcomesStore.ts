import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  BudgetSnapshot,
  EvidenceTiming,
  FigureSnapshot,
  OutcomesStore,
  ProjectRun,
  StoredSurveyResponse,
} from './OutcomesStore';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-outcomes-backend',
  'migrations',
);

/** Dates come back as Date objects from PostgreSQL and as numbers or strings from SQLite. */
function iso(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return new Date(value as string | number | Date).toISOString();
}

const FINISHED = ['completed', 'failed', 'cancelled'];

/** The outcomes store on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseOutcomesStore implements OutcomesStore {
  private constructor(private readonly db: Knex) {}

  static async create(options: {
    database: DatabaseService;
  }): Promise<DatabaseOutcomesStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseOutcomesStore(client);
  }

  /** For tests: a store on a database the test prepared. */
  static async forKnex(knex: Knex): Promise<DatabaseOutcomesStore> {
    await knex.migrate.latest({ directory: migrationsDir });
    return new DatabaseOutcomesStore(knex);
  }

  async upsertRuns(runs: ProjectRun[]): Promise<void> {
    if (runs.length === 0) return;
    const rows = runs.map(r => ({
      task_id: r.taskId,
      blueprint: r.blueprint,
      owner_ref: r.ownerRef ?? null,
      created_by: r.createdBy ?? null,
      entity_ref: r.entityRef ?? null,
      status: r.status,
      submitted_at: new Date(r.submittedAt),
      completed_at: r.completedAt ? new Date(r.completedAt) : null,
      environment_requested_at: r.environmentRequestedAt
        ? new Date(r.environmentRequestedAt)
        : null,
    }));
    await this.db.transaction(async tx => {
      for (const row of rows) {
        await tx('outcomes_runs')
          .insert(row)
          .onConflict('task_id')
          .merge([
            'owner_ref',
            'entity_ref',
            'status',
            'completed_at',
            'environment_requested_at',
          ]);
      }
    });
  }

  async listRuns(
    options: { submittedSince?: string } = {},
  ): Promise<ProjectRun[]> {
    const query = this.db('outcomes_runs').orderBy('submitted_at');
    if (options.submittedSince) {
      query.where('submitted_at', '>=', new Date(options.submittedSince));
    }
    return (await query).map(r => ({
      taskId: r.task_id,
      blueprint: r.blueprint,
      ownerRef: r.owner_ref ?? undefined,
      createdBy: r.created_by ?? undefined,
      entityRef: r.entity_ref ?? undefined,
      status: r.status,
      submittedAt: iso(r.submitted_at)!,
      completedAt: iso(r.completed_at),
      environmentRequestedAt: iso(r.environment_requested_at),
    }));
  }

  async finishedRunIds(): Promise<Set<string>> {
    const rows = await this.db('outcomes_runs')
      .whereIn('status', FINISHED)
      .select('task_id');
    return new Set(rows.map(r => r.task_id));
  }

  async addSurveyResponse(response: StoredSurveyResponse): Promise<boolean> {
    const inserted = await this.db('outcomes_survey_responses')
      .insert({
        entity_ref: response.entityRef,
        respondent: response.respondent,
        score: response.score,
        comment: response.comment ?? null,
        answered_at: new Date(response.answeredAt),
      })
      .onConflict(['entity_ref', 'respondent'])
      .ignore()
      .returning('entity_ref');
    return inserted.length > 0;
  }

  async listSurveyResponses(
    options: { respondent?: string } = {},
  ): Promise<StoredSurveyResponse[]> {
    const query = this.db('outcomes_survey_responses').orderBy('answered_at');
    if (options.respondent) query.where({ respondent: options.respondent });
    return (await query).map(r => ({
      entityRef: r.entity_ref,
      respondent: r.respondent,
      score: Number(r.score),
      comment: r.comment ?? undefined,
      answeredAt: iso(r.answered_at)!,
    }));
  }

  async saveBudgetSnapshots(snapshots: BudgetSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    await this.db.transaction(async tx => {
      for (const s of snapshots) {
        await tx('outcomes_budget_snapshots')
          .insert({
            day: s.day,
            scope_ref: s.scopeRef,
            month: s.month,
            monthly_amount: s.monthlyAmount,
            month_to_date: s.monthToDate,
            forecast_month_end: s.forecastMonthEnd,
            currency: s.currency,
          })
          .onConflict(['day', 'scope_ref'])
          .merge();
      }
    });
  }

  async listBudgetSnapshots(options: {
    scopeRefs?: string[];
    month?: string;
  }): Promise<BudgetSnapshot[]> {
    const query = this.db('outcomes_budget_snapshots').orderBy('day');
    if (options.scopeRefs) query.whereIn('scope_ref', options.scopeRefs);
    if (options.month) query.where({ month: options.month });
    return (await query).map(r => ({
      day: r.day,
      scopeRef: r.scope_ref,
      month: r.month,
      monthlyAmount: Number(r.monthly_amount),
      monthToDate: Number(r.month_to_date),
      forecastMonthEnd: Number(r.forecast_month_end),
      currency: r.currency,
    }));
  }

  async saveFigureSnapshots(snapshots: FigureSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    await this.db.transaction(async tx => {
      for (const s of snapshots) {
        await tx('outcomes_figure_snapshots')
          .insert({
            day: s.day,
            scope: s.scope,
            figure_id: s.figureId,
            value: s.value,
          })
          .onConflict(['day', 'scope', 'figure_id'])
          .merge(['value']);
      }
    });
  }

  async listFigureSnapshots(options: {
    scope: string;
    sinceDay: string;
  }): Promise<FigureSnapshot[]> {
    const rows = await this.db('outcomes_figure_snapshots')
      .where({ scope: options.scope })
      .andWhere('day', '>=', options.sinceDay)
      .orderBy('day');
    return rows.map(r => ({
      day: r.day,
      scope: r.scope,
      figureId: r.figure_id,
      value: Number(r.value),
    }));
  }

  async addEvidenceTiming(timing: EvidenceTiming): Promise<void> {
    await this.db('outcomes_evidence_timings').insert({
      framework: timing.framework,
      measured_at: new Date(timing.measuredAt),
      duration_ms: Math.round(timing.durationMs),
      bytes: timing.bytes,
    });
  }

  async listEvidenceTimings(
    options: { since?: string } = {},
  ): Promise<EvidenceTiming[]> {
    const query = this.db('outcomes_evidence_timings').orderBy('measured_at');
    if (options.since)
      query.where('measured_at', '>=', new Date(options.since));
    return (await query).map(r => ({
      framework: r.framework,
      measuredAt: iso(r.measured_at)!,
      durationMs: Number(r.duration_ms),
      bytes: Number(r.bytes),
    }));
  }
}
