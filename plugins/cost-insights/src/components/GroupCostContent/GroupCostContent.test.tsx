import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, within } from '@testing-library/react';
import { costApiRef } from '../../api';
import { mockCostApi, pricingScience } from '../../__testUtils__/fixtures';
import { GroupCostContent } from './GroupCostContent';

describe('GroupCostContent', () => {
  it('shows the team budget and forecast, top movers, alerts and recommendations', async () => {
    const api = mockCostApi();
    api.getGroupAlerts.mockResolvedValue([
      {
        kind: 'anomaly' as const,
        title: 'Cost spike in Motor Pricing GLM Training: Vertex AI',
        subtitle: 'USD 2,900 on 2026-11-21 against a usual 300 per day.',
        data: {} as any,
      },
    ]);
    api.getRecommendations.mockResolvedValue([
      {
        id: 'gpu-running-off-hours:component:default/pricing-workspace',
        kind: 'gpu-running-off-hours' as const,
        title:
          "Stop Pricing Data Science Workspace's GPUs outside working days",
        description:
          'Its GPUs cost USD 63.00 per weekend day against 64.00 per weekday.',
        action: 'Scale the GPU node pool to zero on weekends.',
        entityRef: 'component:default/pricing-workspace',
        monthlyCost: 1900,
        estimatedMonthlySavings: 547.5,
        currency: 'USD',
      },
    ]);
    await renderInTestApp(
      <EntityProvider entity={pricingScience}>
        <GroupCostContent />
      </EntityProvider>,
      {
        apis: [
          [costApiRef, api],
          mockApis.permission({ authorize: AuthorizeResult.DENY }),
        ],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );
    expect(
      await screen.findByRole('figure', { name: 'Month to date' }),
    ).toHaveTextContent('$10,000');
    expect(
      screen.getByRole('figure', { name: 'Forecast month end' }),
    ).toHaveTextContent('$12,600');
    expect(screen.getByText('83% of $12,000 used')).toBeInTheDocument();
    expect(screen.getByText('forecast 105%')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /budget/i }),
    ).not.toBeInTheDocument();

    const movers = screen.getByRole('table', { name: 'top movers' });
    expect(
      within(movers).getByRole('link', { name: 'Motor Pricing GLM Training' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/pricing-glm-training/cost',
    );
    expect(within(movers).getByText('+80%')).toBeInTheDocument();

    expect(
      await screen.findByText(
        'Cost spike in Motor Pricing GLM Training: Vertex AI',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('Saves about $547.50 a month'),
    ).toBeInTheDocument();
    expect(api.getGroupSummary).toHaveBeenCalledWith(
      'group:default/pricing-science',
      90,
    );
    expect(api.getRecommendations).toHaveBeenCalledWith(
      'group:default/pricing-science',
    );
  });
});
