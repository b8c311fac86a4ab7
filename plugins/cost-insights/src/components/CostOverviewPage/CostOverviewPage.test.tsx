import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { costApiRef } from '../../api';
import { mockCostApi } from '../../__testUtils__/fixtures';
import { CostOverviewPage } from './CostOverviewPage';

describe('CostOverviewPage', () => {
  it('shows totals, unattributed spend, budgets, anomalies, and uploads an export for a permitted user', async () => {
    const api = mockCostApi();
    api.getAnomalies.mockResolvedValue([
      {
        entityRef: 'component:default/fraud-scoring-service',
        service: 'AWS Data Transfer',
        day: '2026-11-21',
        amount: 476,
        baseline: 34,
        excess: 442,
        score: 50,
        currency: 'USD',
      },
    ]);
    api.uploadExport.mockResolvedValue({
      id: 'i1',
      source: 'upload' as const,
      location: 'upload:focus.csv',
      status: 'succeeded' as const,
      focusVersion: '1.0',
      rowCount: 1000,
      rejectedRowCount: 0,
      rejects: [],
      totals: {},
      periods: [{ billingAccountId: 'a', billingPeriodStart: '2024-09-01' }],
      rollupCount: 10,
      startedAt: '2026-11-26T10:00:00Z',
    });
    await renderInTestApp(<CostOverviewPage />, {
      apis: [
        [costApiRef, api],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      await screen.findByRole('figure', { name: 'Last 30 days' }),
    ).toHaveTextContent('$36,000');
    expect(
      screen.getByRole('figure', { name: 'Unattributed' }),
    ).toHaveTextContent('$3,000');
    expect(
      screen.getByText('8% of spend matches no catalog entity'),
    ).toBeInTheDocument();
    const budgets = screen.getByRole('table', { name: 'budgets' });
    expect(
      within(budgets).getByRole('link', { name: 'pricing-science' }),
    ).toHaveAttribute('href', '/catalog/default/group/pricing-science/cost');
    const anomalies = await screen.findByRole('table', { name: 'anomalies' });
    expect(anomalies).toHaveTextContent('AWS Data Transfer');
    expect(anomalies).toHaveTextContent('$476.00');

    const file = new File(['BilledCost\n'], 'focus.csv', { type: 'text/csv' });
    const input = document.querySelector(
      'input[type="file"]',
    ) as HTMLInputElement;
    await userEvent.upload(input, file);
    await waitFor(() => expect(api.uploadExport).toHaveBeenCalledWith(file));
    expect(
      await screen.findByText(
        /1000 rows of FOCUS 1.0 ingested; 1 billing period/,
      ),
    ).toBeInTheDocument();
    // The overview is read again with the new data.
    await waitFor(() => expect(api.getOverview).toHaveBeenCalledTimes(2));
  });
});
