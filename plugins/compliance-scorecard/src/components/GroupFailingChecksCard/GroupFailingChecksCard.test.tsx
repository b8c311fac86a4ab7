import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import { complianceApiRef } from '../../api';
import {
  mockComplianceApi,
  retentionAnalytics,
} from '../../__testUtils__/fixtures';
import { GroupFailingChecksCard } from './GroupFailingChecksCard';

function render(api: ReturnType<typeof mockComplianceApi>) {
  return renderInTestApp(
    <EntityProvider entity={retentionAnalytics}>
      <GroupFailingChecksCard />
    </EntityProvider>,
    {
      apis: [[complianceApiRef, api]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('GroupFailingChecksCard', () => {
  it('lists the failing checks of the team’s entities with how to fix them', async () => {
    const api = mockComplianceApi({
      getGroupFailingChecks: jest.fn(async () => [
        {
          entityRef: 'component:default/churn-model',
          ownerRef: 'group:default/retention-analytics',
          checkId: 'security.no-critical-vulnerabilities',
          title: 'No critical vulnerabilities',
          severity: 'critical' as const,
          remediation: 'Upgrade the dependencies with critical findings.',
          since: '2026-11-20T10:00:00.000Z',
        },
        {
          entityRef: 'component:default/retention-dbt',
          ownerRef: 'group:default/retention-sub-team',
          checkId: 'docs.techdocs',
          title: 'TechDocs published',
          severity: 'low' as const,
          remediation:
            'Add a docs folder and the backstage.io/techdocs-ref annotation.',
        },
      ]),
    });
    await render(api);

    const table = await screen.findByRole('table', {
      name: 'failing checks of the team',
    });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('No critical vulnerabilities');
    expect(rows[1]).toHaveTextContent(
      'Upgrade the dependencies with critical findings.',
    );
    expect(
      within(rows[1]).getByRole('link', { name: 'churn-model' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/churn-model/compliance',
    );
    // Entities of sub-teams name their owner.
    expect(rows[2]).toHaveTextContent('retention-sub-team');
    expect(
      screen.getByText('2 failing checks on 2 entities.'),
    ).toBeInTheDocument();
    expect(api.getGroupFailingChecks).toHaveBeenCalledWith(
      'group:default/retention-analytics',
    );
  });

  it('says so when nothing fails', async () => {
    await render(
      mockComplianceApi({ getGroupFailingChecks: jest.fn(async () => []) }),
    );
    expect(
      await screen.findByText(
        /No check fails on any entity owned by this team/,
      ),
    ).toBeInTheDocument();
  });
});
