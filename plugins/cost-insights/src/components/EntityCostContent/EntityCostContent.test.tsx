import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { costApiRef } from '../../api';
import { churnModel, mockCostApi } from '../../__testUtils__/fixtures';
import { EntityCostContent } from './EntityCostContent';

// Decisions of usePermission are cached per file: here the reader may manage budgets.
function render(api: ReturnType<typeof mockCostApi>) {
  return renderInTestApp(
    <EntityProvider entity={churnModel}>
      <EntityCostContent />
    </EntityProvider>,
    {
      apis: [
        [costApiRef, api],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('EntityCostContent', () => {
  beforeAll(() => {
    URL.createObjectURL = jest.fn(() => 'blob:cost');
    URL.revokeObjectURL = jest.fn();
  });

  it('shows the range total, the forecast and the breakdown table of the last 30 days', async () => {
    const api = mockCostApi();
    await render(api);
    expect(
      await screen.findByRole('figure', { name: 'Last 30 days' }),
    ).toHaveTextContent('$3,300');
    expect(
      screen.getByRole('figure', { name: 'Forecast month end' }),
    ).toHaveTextContent('$3,297');
    expect(api.getEntityBreakdown).toHaveBeenCalledWith(
      'component:default/churn-model',
      {
        start: '2026-10-27',
        end: '2026-11-26',
      },
    );
    const table = await screen.findByText('Breakdown, last 30 days');
    const rows = within(
      table.closest('.MuiPaper-root') as HTMLElement,
    ).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('Amazon SageMaker');
    expect(rows[1]).toHaveTextContent('$2,700');
    expect(rows[2]).toHaveTextContent('Amazon Simple Storage Service');
  });

  it('asks for a longer range and exports it as CSV', async () => {
    const api = mockCostApi();
    await render(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'last 90 days' }),
    );
    await waitFor(() =>
      expect(api.getEntityBreakdown).toHaveBeenLastCalledWith(
        'component:default/churn-model',
        {
          start: '2026-08-28',
          end: '2026-11-26',
        },
      ),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() =>
      expect(api.exportEntityCsv).toHaveBeenCalledWith(
        'component:default/churn-model',
        {
          start: '2026-08-28',
          end: '2026-11-26',
        },
      ),
    );
  });

  it('lets a permitted user change the budget and says why a change was refused', async () => {
    const api = mockCostApi();
    api.setBudget.mockRejectedValueOnce(
      new Error(
        'You are not allowed to set or remove budgets (forge.cost.budget.manage)',
      ),
    );
    await render(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Change budget' }),
    );
    const dialog = await screen.findByRole('dialog');
    const input = within(dialog).getByLabelText(/Monthly budget/);
    await userEvent.clear(input);
    await userEvent.type(input, '5000');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(
      await within(dialog).findByText(/not allowed to set or remove budgets/),
    ).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.setBudget).toHaveBeenLastCalledWith(
      'component:default/churn-model',
      5000,
    );
    // The summary is read again after a change.
    await waitFor(() => expect(api.getEntitySummary).toHaveBeenCalledTimes(2));
  });
});
