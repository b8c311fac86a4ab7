import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { act, screen } from '@testing-library/react';
import { costApiRef } from '../../api';
import {
  churnModel,
  mockCostApi,
  summaryFixture,
} from '../../__testUtils__/fixtures';
import { EntityCostCard } from './EntityCostCard';

function render(api: ReturnType<typeof mockCostApi>, entity = churnModel) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <EntityCostCard />
    </EntityProvider>,
    {
      apis: [[costApiRef, api]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('EntityCostCard', () => {
  it('shows month to date, the forecast with its interval, the last 30 days and the budget burn', async () => {
    const api = mockCostApi();
    await render(api);
    expect(
      await screen.findByRole('figure', { name: 'Month to date' }),
    ).toHaveTextContent('$2,944');
    expect(
      screen.getByRole('figure', { name: 'Forecast month end' }),
    ).toHaveTextContent('$3,297');
    expect(
      screen.getByText('80% between $3,284 and $3,310'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('figure', { name: 'Last 30 days' }),
    ).toHaveTextContent('$3,435');
    expect(screen.getByText('+12% vs 30 days before')).toBeInTheDocument();
    expect(screen.getByText('70% of $4,200 used')).toBeInTheDocument();
    expect(screen.getByText('forecast 78%')).toBeInTheDocument();
    expect(screen.getByText('Cost details').closest('a')).toHaveAttribute(
      'href',
      '/catalog/default/component/churn-model/cost',
    );
    expect(api.getEntitySummary).toHaveBeenCalledWith(
      'component:default/churn-model',
    );
  });

  it('says how to add a budget, and shows cost annotations it cannot read', async () => {
    const api = mockCostApi();
    api.getEntitySummary.mockResolvedValue(
      summaryFixture({
        budget: undefined,
        problems: [
          'forge.io/cost-tags: "oops" is not a key=value pair; write it like forge-project=churn-model',
        ],
      }),
    );
    await render(api);
    expect(
      await screen.findByText(
        'No monthly budget: add the forge.io/monthly-budget annotation to track one.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/"oops" is not a key=value pair/),
    ).toBeInTheDocument();
  });

  it('stays out of the way on components that neither declare nor have cost', async () => {
    const api = mockCostApi();
    api.getEntitySummary.mockResolvedValue(
      summaryFixture({
        monthToDate: 0,
        last30DaysTotal: 0,
        budget: undefined,
      }),
    );
    const plain = {
      ...churnModel,
      metadata: { ...churnModel.metadata, annotations: {} },
    };
    await render(api, plain);
    await act(async () => {
      await api.getEntitySummary.mock.results[0].value;
    });
    expect(screen.queryByText('Month to date')).not.toBeInTheDocument();
    expect(screen.queryByText('Cost')).not.toBeInTheDocument();
  });

  it('shows the error when cost cannot be read', async () => {
    const api = mockCostApi();
    api.getEntitySummary.mockRejectedValue(
      new Error('You are not allowed to read cost data (forge.cost.read)'),
    );
    await render(api);
    expect(
      (await screen.findAllByText(/not allowed to read cost data/))[0],
    ).toBeInTheDocument();
  });
});
