import { createApiRef } from '@backstage/frontend-plugin-api';
import { OutcomesReport, SurveyPrompt } from '@internal/plugin-outcomes-common';

/**
 * The outcomes backend as the page and the satisfaction card use it.
 *
 * @public
 */
export interface OutcomesApi {
  /** The report of 'org' or a group ref; the backend picks the caller's default scope when none is given. */
  getReport(scope?: string): Promise<OutcomesReport>;
  /** Projects the signed-in person created and has not rated. */
  getPendingSurveys(): Promise<SurveyPrompt[]>;
  answerSurvey(answer: {
    entityRef: string;
    score: number;
    comment?: string;
  }): Promise<void>;
}

/** @public */
export const outcomesApiRef = createApiRef<OutcomesApi>().with({
  id: 'plugin.outcomes.api',
  pluginId: 'outcomes',
});
