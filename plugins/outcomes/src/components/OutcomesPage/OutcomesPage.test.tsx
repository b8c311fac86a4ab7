import { renderInTestApp } from '@backstage/frontend-test-utils';
import { OutcomesReport } from '@internal/plugin-outcomes-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { OutcomesApi, outcomesApiRef } from '../../api';
import { OutcomesPage } from './OutcomesPage';

function report(scope: string, projects: number): OutcomesReport {
  return {
    scope,
    scopeTitle: scope === 'org' ? 'Organisation' : 'Retention Analytics',
    generatedAt: '2026-12-05T10:00:00.000Z',
    months: ['2026-11', '2026-12'],
    scopes: [
      { scope: 'org', title: 'Organisation' },
      {
        scope: 'group:default/retention-analytics',
        title: 'Retention Analytics',
      },
    ],
    figures: [
      {
        id: 'self-service',
        section: 'self-service',
        title: 'Projects created without waiting for a person',
        value: 80,
        unit: 'percent',
        display: '80% self-service; 1 of 5 needed an approval',
        target: {
          value: 90,
          comparison: 'atLeast',
          display: '90% self-service',
        },
        met: false,
        definition: 'Share of projects created without an approval.',
        source: 'Scaffolder runs and gate approvals.',
        series: [
          { period: '2026-11', value: null },
          { period: '2026-12', value: 80 },
        ],
      },
      {
        id: 'projects-per-blueprint',
        section: 'adoption',
        title: 'Projects created this month',
        value: projects,
        unit: 'count',
        display: `${projects} this month, 0 last month`,
        definition: 'Projects created with a blueprint per month.',
        source: 'Scaffolder.',
        series: [],
        details: [{ label: 'dbt-analytics', value: `2026-12: ${projects}` }],
      },
    ],
  };
}

describe('OutcomesPage', () => {
  it('shows each figure with its target, history, definition and source, for the scope picked', async () => {
    const api: jest.Mocked<OutcomesApi> = {
      getReport: jest.fn(async scope => report(scope ?? 'org', scope ? 1 : 4)),
      getPendingSurveys: jest.fn(),
      answerSurvey: jest.fn(),
    };
    await renderInTestApp(<OutcomesPage />, { apis: [[outcomesApiRef, api]] });

    expect(
      await screen.findByRole('heading', {
        name: 'Platform outcomes: Organisation',
      }),
    ).toBeInTheDocument();
    const selfService = screen.getByRole('region', {
      name: 'Projects created without waiting for a person',
    });
    expect(selfService).toHaveTextContent(
      '80% self-service; 1 of 5 needed an approval',
    );
    expect(selfService).toHaveTextContent('Target: 90% self-service (not met)');
    expect(selfService).toHaveTextContent(
      'Definition. Share of projects created without an approval.',
    );
    expect(selfService).toHaveTextContent(
      'Source. Scaffolder runs and gate approvals.',
    );
    const history = within(selfService).getByRole('table', {
      name: 'Projects created without waiting for a person by month',
    });
    expect(
      within(history)
        .getAllByRole('columnheader')
        .map(c => c.textContent),
    ).toEqual(['2026-11', '2026-12']);
    expect(
      within(history)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['–', '80%']);
    expect(
      screen.getByRole('heading', { name: 'Self-service' }),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Scope' }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Retention Analytics' }),
    );
    expect(
      await screen.findByRole('heading', {
        name: 'Platform outcomes: Retention Analytics',
      }),
    ).toBeInTheDocument();
    expect(api.getReport).toHaveBeenLastCalledWith(
      'group:default/retention-analytics',
    );
    expect(screen.getByText('1 this month, 0 last month')).toBeInTheDocument();
  });
});
