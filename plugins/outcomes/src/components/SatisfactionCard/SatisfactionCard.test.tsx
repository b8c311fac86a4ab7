import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { OutcomesApi, outcomesApiRef } from '../../api';
import { SatisfactionCard } from './SatisfactionCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'churn-dbt', namespace: 'default' },
  spec: { type: 'data-pipeline', owner: 'group:default/retention-analytics' },
};

function api(pending: string[]): jest.Mocked<OutcomesApi> {
  return {
    getReport: jest.fn(),
    getPendingSurveys: jest.fn(async () =>
      pending.map(entityRef => ({
        entityRef,
        blueprint: 'template:default/dbt-analytics',
        createdAt: '2026-12-05T10:00:00.000Z',
      })),
    ),
    answerSurvey: jest.fn().mockResolvedValue(undefined),
  };
}

describe('SatisfactionCard', () => {
  it('asks the creator of a new project once and sends the answer', async () => {
    const outcomes = api(['component:default/churn-dbt']);
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <SatisfactionCard />
      </EntityProvider>,
      { apis: [[outcomesApiRef, outcomes]] },
    );
    expect(
      await screen.findByText(
        'How likely are you to recommend Forge to a colleague?',
      ),
    ).toBeInTheDocument();
    const send = screen.getByRole('button', { name: 'Send answer' });
    expect(send).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: '9 out of 10' }));
    await userEvent.type(
      screen.getByLabelText('What made it so? (optional)'),
      'Ready in minutes',
    );
    await userEvent.click(send);
    await waitFor(() =>
      expect(outcomes.answerSurvey).toHaveBeenCalledWith({
        entityRef: 'component:default/churn-dbt',
        score: 9,
        comment: 'Ready in minutes',
      }),
    );
    expect(await screen.findByText(/Thank you/)).toBeInTheDocument();
  });

  it('shows nothing to anyone else', async () => {
    const outcomes = api(['component:default/another-project']);
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <SatisfactionCard />
      </EntityProvider>,
      { apis: [[outcomesApiRef, outcomes]] },
    );
    await waitFor(() => expect(outcomes.getPendingSurveys).toHaveBeenCalled());
    expect(
      screen.queryByText(
        'How likely are you to recommend Forge to a colleague?',
      ),
    ).not.toBeInTheDocument();
  });
});
