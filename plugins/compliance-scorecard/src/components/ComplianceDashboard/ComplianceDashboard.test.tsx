import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { complianceApiRef } from '../../api';
import {
  dashboardFixture,
  mockComplianceApi,
} from '../../__testUtils__/fixtures';
import { ComplianceDashboard } from './ComplianceDashboard';
import { heatColour } from './heatColour';

function render(api: ReturnType<typeof mockComplianceApi>) {
  return renderInTestApp(<ComplianceDashboard />, {
    apis: [
      [complianceApiRef, api],
      [
        catalogApiRef,
        catalogApiMock.mock({
          getEntities: jest.fn(async () => ({ items: [] })),
        }),
      ],
    ],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
}

describe('ComplianceDashboard', () => {
  it('shows every team of the hierarchy, indented under its parent, against the control families', async () => {
    const api = mockComplianceApi({
      getDashboard: jest.fn(async () => dashboardFixture),
    });
    await render(api);

    const heatMap = await screen.findByRole('table', {
      name: 'pass rate by team and control family',
    });
    const rows = within(heatMap).getAllByRole('row').slice(1);
    expect(rows.map(r => within(r).getByRole('rowheader').textContent)).toEqual(
      [
        'Meridian Mutual',
        'Customer Analytics',
        'Retention Analytics',
        'Security',
      ],
    );
    const indent = (i: number) =>
      parseInt(within(rows[i]).getByRole('rowheader').style.paddingLeft, 10);
    expect(indent(2)).toBeGreaterThan(indent(1));
    expect(indent(1)).toBeGreaterThan(indent(0));

    // Cells: the share of passing (or exempt) control results, coloured by it; no data is not "green".
    const cells = within(rows[0]).getAllByRole('cell');
    expect(cells.map(c => c.textContent)).toEqual(['3', '74', '75', '33']);
    expect(
      within(rows[3])
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['0', '–', '–', '–']);
    expect(cells[2].style.background).toBe(heatColour(0.75).background);
    expect(cells[3].style.background).toBe(heatColour(1 / 3).background);
    expect(api.getDashboard).toHaveBeenCalledWith({
      group: undefined,
      weeks: 12,
    });
  });

  it('lists the worst entities with a link to their Compliance tab', async () => {
    await render(
      mockComplianceApi({
        getDashboard: jest.fn(async () => dashboardFixture),
      }),
    );
    const worst = await screen.findByRole('table', { name: 'worst entities' });
    const link = within(worst).getByRole('link', { name: 'churn-model' });
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/churn-model/compliance',
    );
    expect(
      within(worst).getByRole('link', { name: 'resource:claims-warehouse' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/resource/claims-warehouse/compliance',
    );
  });

  it('narrows the dashboard to one team and its sub-teams', async () => {
    const api = mockComplianceApi({
      getDashboard: jest.fn(async () => dashboardFixture),
    });
    await render(api);
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'focus on Customer Analytics',
      }),
    );
    await waitFor(() =>
      expect(api.getDashboard).toHaveBeenLastCalledWith({
        group: 'group:default/customer-analytics',
        weeks: 12,
      }),
    );
  });

  it('shows the error when the dashboard cannot be loaded', async () => {
    await render(
      mockComplianceApi({
        getDashboard: jest.fn(async () => {
          throw new Error('No group group:default/nope in the catalog');
        }),
      }),
    );
    expect(
      await screen.findByText(
        'Error: No group group:default/nope in the catalog',
      ),
    ).toBeInTheDocument();
  });
});
