import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { complianceApiRef } from '../../api';
import {
  churnModel,
  exemptionFixture,
  historyEntry,
  mockComplianceApi,
  scorecardFixture,
} from '../../__testUtils__/fixtures';
import { endOfDayIso } from '../shared';
import { EntityComplianceContent } from './EntityComplianceContent';

// usePermission caches decisions per permission and entity for the whole test file (SWR), so people who may
// request exemptions look at churn-model and people who may not at a second entity.
const readOnlyEntity = {
  ...churnModel,
  metadata: { ...churnModel.metadata, name: 'claims-features' },
};

function render(
  api: ReturnType<typeof mockComplianceApi>,
  authorize: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) {
  return renderInTestApp(
    <EntityProvider
      entity={authorize === AuthorizeResult.ALLOW ? churnModel : readOnlyEntity}
    >
      <EntityComplianceContent />
    </EntityProvider>,
    {
      apis: [[complianceApiRef, api], mockApis.permission({ authorize })],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

function apiWithData() {
  return mockComplianceApi({
    getScorecard: jest.fn(async () => scorecardFixture()),
    listExemptions: jest.fn(async () => [
      exemptionFixture({
        status: 'approved',
        checkId: 'data.pii-classified',
        decidedBy: 'user:default/daniel.moreau',
        decidedAt: '2026-11-25T10:00:00.000Z',
        decisionNote: 'Until the migration.',
      }),
    ]),
    getHistory: jest.fn(async () => [
      historyEntry(
        3,
        'env.monitoring',
        'fail',
        '2026-11-25T09:00:00.000Z',
        'pass',
      ),
      historyEntry(2, 'env.monitoring', 'pass', '2026-11-20T09:00:00.000Z'),
      historyEntry(
        1,
        'ownership.group-exists',
        'pass',
        '2026-11-20T09:00:00.000Z',
      ),
    ]),
  });
}

describe('EntityComplianceContent', () => {
  it('lists every check under the SOC 2 and NIST families it evidences', async () => {
    await render(apiWithData(), AuthorizeResult.DENY);

    expect(
      await screen.findByText('SOC 2 CC7 · System operations'),
    ).toBeInTheDocument();
    for (const family of [
      'SOC 2 CC1 · Control environment',
      'SOC 2 CC8 · Change management',
      'NIST 800-53 AC · Access control',
      'NIST 800-53 AU · Audit and accountability',
      'NIST 800-53 RA · Risk assessment',
      'NIST 800-53 SA · System and services acquisition',
    ]) {
      expect(screen.getByText(family)).toBeInTheDocument();
    }
    // Both CC7 checks fail; the family is open and shows their status, severity and fix.
    const cc7 = screen.getByRole('table', { name: 'SOC 2 CC7 checks' });
    expect(within(cc7).getAllByRole('row')).toHaveLength(3);
    expect(
      within(cc7).getByText('No critical vulnerabilities'),
    ).toBeInTheDocument();
    expect(within(cc7).getByText('critical')).toBeInTheDocument();
    expect(
      within(cc7).getByText(
        'Ship metrics and alerts and set forge.io/monitoring.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: /^SOC 2 CC7 · System operations/ }),
    ).toHaveTextContent('2 of 2 checks failing');
    expect(
      screen.getByRole('button', { name: /^SOC 2 CC1 · Control environment/ }),
    ).toHaveTextContent('1 check, none failing');
    // Families where nothing fails start closed.
    expect(
      screen.queryByRole('table', { name: 'NIST 800-53 SA checks' }),
    ).not.toBeInTheDocument();
  });

  it('shows the exemptions of the entity and the history of changes', async () => {
    await render(apiWithData(), AuthorizeResult.DENY);

    const exemptions = await screen.findByRole('table', {
      name: 'exemptions of this entity',
    });
    expect(within(exemptions).getByText('approved')).toBeInTheDocument();
    expect(
      within(exemptions).getByText(/user:default\/daniel.moreau/),
    ).toBeInTheDocument();
    expect(
      within(exemptions).getByText('“Until the migration.”'),
    ).toBeInTheDocument();

    const changes = await screen.findByRole('table', { name: 'changes' });
    const rows = within(changes).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toHaveTextContent('Monitoring and alerting declared');
    expect(rows[1]).toHaveTextContent('pass → fail');
    expect(screen.getByText('Changes, newest first (3)')).toBeInTheDocument();
  });

  it('lets owners request an exemption for a failing check, with that check chosen', async () => {
    const api = apiWithData();
    await render(api, AuthorizeResult.ALLOW);

    const cc8 = await screen.findByRole('table', { name: 'SOC 2 CC8 checks' });
    expect(
      await screen.findByRole('button', { name: 'Request an exemption' }),
    ).toBeInTheDocument();
    await userEvent.click(
      await within(cc8).findByRole('button', { name: 'Request exemption' }),
    );

    const dialog = await screen.findByRole('dialog', {
      name: 'Request an exemption',
    });
    expect(
      within(dialog).getByRole('button', { name: /Failing check/ }),
    ).toHaveTextContent(
      'CI tests pass on the default branch (ci.tests-passing)',
    );
  });

  it('does not offer a second request while one waits for compliance', async () => {
    const api = apiWithData();
    api.listExemptions.mockResolvedValue([
      exemptionFixture({ checkId: 'ci.tests-passing', status: 'pending' }),
    ]);
    await render(api, AuthorizeResult.ALLOW);

    const cc8 = await screen.findByRole('table', { name: 'SOC 2 CC8 checks' });
    expect(
      await within(cc8).findByText(
        'An exemption request is waiting for compliance.',
      ),
    ).toBeInTheDocument();
    expect(
      within(cc8).queryByRole('button', { name: 'Request exemption' }),
    ).not.toBeInTheDocument();
    // Other failing checks can still be exempted.
    const cc7 = screen.getByRole('table', { name: 'SOC 2 CC7 checks' });
    expect(
      within(cc7).getAllByRole('button', { name: 'Request exemption' }),
    ).toHaveLength(2);
  });

  it('offers no request form to people who may not request one', async () => {
    await render(apiWithData(), AuthorizeResult.DENY);
    await screen.findByText('SOC 2 CC7 · System operations');
    expect(
      screen.queryByRole('button', { name: 'Request exemption' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Request an exemption' }),
    ).not.toBeInTheDocument();
  });

  it('reloads the scorecard as of the chosen date', async () => {
    const api = apiWithData();
    await render(api, AuthorizeResult.ALLOW);
    await screen.findByText('SOC 2 CC7 · System operations');

    fireEvent.change(screen.getByLabelText('As of'), {
      target: { value: '2026-11-21' },
    });

    await waitFor(() =>
      expect(api.getScorecard).toHaveBeenLastCalledWith(
        'component:default/churn-model',
        {
          asOf: endOfDayIso('2026-11-21'),
        },
      ),
    );
    expect(screen.getByText('Rebuilt from the history')).toBeInTheDocument();
    // A past scorecard cannot be re-evaluated or exempted.
    expect(
      screen.queryByRole('button', { name: 'Evaluate now' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Request exemption' }),
    ).not.toBeInTheDocument();
  });
});
