import { ConflictError, NotAllowedError } from '@backstage/errors';
import { SurveyPrompt } from '@internal/plugin-outcomes-common';
import { OutcomesStore } from '../database/OutcomesStore';

/** How long after creating a project its creator is asked about it. */
const ASK_FOR_DAYS = 30;

/**
 * The one satisfaction question, asked once to whoever created a project with a blueprint: which projects are
 * waiting for an answer, and storing the answer.
 */
export class SurveyService {
  constructor(
    private readonly deps: { store: OutcomesStore; now?: () => Date },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Projects the person created in the last 30 days and has not rated. */
  async pending(userEntityRef: string): Promise<SurveyPrompt[]> {
    const since = new Date(
      this.now().getTime() - ASK_FOR_DAYS * 86_400_000,
    ).toISOString();
    const [runs, answers] = await Promise.all([
      this.deps.store.listRuns({ submittedSince: since }),
      this.deps.store.listSurveyResponses({ respondent: userEntityRef }),
    ]);
    const answered = new Set(answers.map(a => a.entityRef));
    const prompts = new Map<string, SurveyPrompt>();
    for (const run of runs) {
      if (
        run.status === 'completed' &&
        run.entityRef &&
        run.createdBy === userEntityRef &&
        !answered.has(run.entityRef)
      ) {
        prompts.set(run.entityRef, {
          entityRef: run.entityRef,
          blueprint: run.blueprint,
          createdAt: run.completedAt ?? run.submittedAt,
        });
      }
    }
    return [...prompts.values()];
  }

  /** Stores the answer of the project's creator; anyone else, or a second answer, is refused. */
  async answer(input: {
    userEntityRef: string;
    entityRef: string;
    score: number;
    comment?: string;
  }): Promise<void> {
    const runs = await this.deps.store.listRuns();
    const created = runs.some(
      r =>
        r.status === 'completed' &&
        r.entityRef === input.entityRef &&
        r.createdBy === input.userEntityRef,
    );
    if (!created) {
      throw new NotAllowedError(
        `Only the person who created ${input.entityRef} with a blueprint is asked about it`,
      );
    }
    const stored = await this.deps.store.addSurveyResponse({
      entityRef: input.entityRef,
      respondent: input.userEntityRef,
      score: input.score,
      comment: input.comment,
      answeredAt: this.now().toISOString(),
    });
    if (!stored) {
      throw new ConflictError(
        `You already rated ${input.entityRef}; each project is asked about once`,
      );
    }
  }
}
