import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { OutcomesReport, SurveyPrompt } from '@internal/plugin-outcomes-common';
import { OutcomesApi } from './OutcomesApi';

/**
 * Talks to the outcomes backend through the discovery and fetch APIs (the fetch API adds the user's token).
 *
 * @public
 */
export class OutcomesClient implements OutcomesApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  getReport(scope?: string): Promise<OutcomesReport> {
    return this.request(
      `/report${scope ? `?scope=${encodeURIComponent(scope)}` : ''}`,
    );
  }

  async getPendingSurveys(): Promise<SurveyPrompt[]> {
    return (await this.request<{ items: SurveyPrompt[] }>('/surveys/pending'))
      .items;
  }

  async answerSurvey(answer: {
    entityRef: string;
    score: number;
    comment?: string;
  }): Promise<void> {
    await this.request('/surveys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(answer),
    });
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('outcomes');
    const res = await this.options.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json() as Promise<T>;
  }
}
