import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { complianceApiRef } from '../../api';
import {
  exemptionFixture,
  mockComplianceApi,
} from '../../__testUtils__/fixtures';
import { ExemptionQueue } from './ExemptionQueue';

// Decisions of usePermission are cached for the whole file: everyone here holds the approve permission; the
// read-only view is tested in ExemptionQueue.readOnly.test.tsx.
function render(
  api: ReturnType<typeof mockComplianceApi>,
  me = 'user:default/daniel.moreau',
) {
  return renderInTestApp(<ExemptionQueue />, {
    apis: [
      [complianceApiRef, api],
      mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      mockApis.identity({ userEntityRef: me }),
    ],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
}

const pending = exemptionFixture();
const approval = exemptionFixture({
  id: 'ap-1',
  kind: 'approval',
  entityRef: 'component:default/fraud-graph',
  checkId: 'approval.restricted-data',
  requestedBy: 'service:scaffolder',
  justification:
    'Restricted claims data is needed to train the fraud graph model.',
  subject: {
    templateRef: 'template:default/ml-training-pipeline',
    ownerRef: 'group:default/fraud-science',
    classification: 'restricted',
    restrictedSources: ['resource:default/claims-warehouse'],
    cost: null,
  },
});
const approved = exemptionFixture({
  id: 'ex-7',
  checkId: 'env.monitoring',
  status: 'approved',
  decidedBy: 'user:default/grace.obrien',
  decidedAt: '2026-11-24T10:00:00.000Z',
});

function queueApi() {
  return mockComplianceApi({
    listExemptions: jest.fn(async () => [pending, approval, approved]),
    listPolicyPacks: jest.fn(async () => [
      {
        name: 'baseline',
        version: '1.0.0',
        title: 'Baseline',
        parameters: {},
        controls: [],
        checks: [
          {
            id: 'security.dependency-scan-fresh',
            title: 'Dependency scan no older than 7 days',
          },
          { id: 'env.monitoring', title: 'Monitoring and alerting declared' },
        ] as any,
      },
    ]),
    decideExemption: jest.fn(async (_id, decision) => ({
      ...pending,
      status: decision.status,
    })),
    revokeExemption: jest.fn(async () => ({
      ...approved,
      status: 'revoked' as const,
    })),
  });
}

// As GET /exemptions answers for a cost approval the blueprint gate filed (the subject normalised by the backend).
const costApproval = exemptionFixture({
  id: 'ap-2',
  kind: 'approval',
  entityRef: 'component:default/churn-uplift',
  checkId: 'approval.cost-threshold',
  requestedBy: 'user:default/mateo.garcia',
  requestedAt: '2026-11-26T09:00:00.000Z',
  justification: 'Churn model retraining for the renewal campaign.',
  compensatingControl: 'Budget alert at 3,500 EUR; weekly review.',
  subject: {
    templateRef: 'template:default/ml-training-pipeline',
    ownerRef: 'group:default/retention-analytics',
    classification: 'confidential',
    restrictedSources: [
      'resource:default/claims-warehouse',
      'resource:default/policy-events-stream',
    ],
    cost: { monthlyTotal: 3000, approvalThreshold: 1500, currency: 'EUR' },
  },
});
// Filed before approvals recorded their subject.
const legacyApproval = exemptionFixture({
  id: 'ap-0',
  kind: 'approval',
  entityRef: 'component:default/old-request',
  checkId: 'approval.cost-threshold',
  requestedBy: 'user:default/mateo.garcia',
  requestedAt: '2026-11-20T09:00:00.000Z',
});

describe('ExemptionQueue', () => {
  it('shows the approver what a gate approval approves: in short in the row, in full where they decide', async () => {
    const api = mockComplianceApi({
      listExemptions: jest.fn(async () => [costApproval, legacyApproval]),
      listPolicyPacks: jest.fn(async () => []),
      decideExemption: jest.fn(async (_id, decision) => ({
        ...costApproval,
        status: decision.status,
      })),
    });
    await render(api);
    const queue = await screen.findByRole('table', {
      name: 'pending exemptions',
    });
    const [, legacyRow, row] = within(queue).getAllByRole('row');

    // The row: template, owner and classification on one ellipsised line with the full refs on hover, and the cost.
    const summary = within(row).getByText(
      'ml-training-pipeline · for retention-analytics · confidential · 2 restricted sources',
    );
    expect(summary).toHaveAttribute(
      'title',
      [
        'Template: template:default/ml-training-pipeline',
        'Owner: group:default/retention-analytics',
        'Classification: confidential',
        'Restricted sources: resource:default/claims-warehouse, resource:default/policy-events-stream',
      ].join('\n'),
    );
    expect(getComputedStyle(summary).whiteSpace).toBe('nowrap');
    expect(getComputedStyle(summary).textOverflow).toBe('ellipsis');
    expect(row).toHaveTextContent(
      '3,000.00 EUR a month, above the threshold of 1,500.00 EUR',
    );
    expect(row).toHaveTextContent(
      'Churn model retraining for the renewal campaign.',
    );
    expect(legacyRow).toHaveTextContent(
      /No subject recorded .* the gate does not accept it/,
    );

    // The dialog: every fact in full.
    await userEvent.click(
      await within(row).findByRole('button', { name: 'Approve' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByRole('heading', {
        name: 'Approve the gate approval for Cost above the team threshold: approval to create the project',
      }),
    ).toBeInTheDocument();
    const facts = within(dialog).getByLabelText('approval subject');
    const terms = within(facts)
      .getAllByRole('term')
      .map(t => [t.textContent, t.nextElementSibling?.textContent]);
    expect(terms).toEqual([
      ['Template', 'template:default/ml-training-pipeline'],
      ['Owner', 'group:default/retention-analytics'],
      ['Data classification', 'confidential'],
      [
        'Restricted sources',
        'resource:default/claims-warehouse, resource:default/policy-events-stream',
      ],
      ['Monthly estimate', '3,000.00 EUR'],
      ['Threshold crossed', '1,500.00 EUR'],
    ]);
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    await waitFor(() =>
      expect(api.decideExemption).toHaveBeenCalledWith('ap-2', {
        status: 'approved',
        note: undefined,
      }),
    );

    // An approval without a subject says so where it is decided, too.
    await userEvent.click(
      await within(legacyRow).findByRole('button', { name: 'Reject' }),
    );
    expect(
      within(await screen.findByRole('dialog')).getByText(
        /No subject recorded/,
      ),
    ).toBeInTheDocument();
  });

  it('shows who asked for what and why, pending and decided apart', async () => {
    await render(queueApi());

    const queue = await screen.findByRole('table', {
      name: 'pending exemptions',
    });
    const rows = within(queue).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('churn-model');
    expect(rows[1]).toHaveTextContent('Dependency scan no older than 7 days');
    expect(rows[1]).toHaveTextContent('user:default/guest');
    expect(rows[1]).toHaveTextContent(
      'The scanner cannot reach the private registry until the proxy is configured.',
    );
    expect(rows[1]).toHaveTextContent(
      'Compensating control: Weekly manual review of the lock file by the security champion.',
    );
    expect(
      within(rows[1]).getByRole('link', { name: 'churn-model' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/churn-model/compliance',
    );
    expect(rows[2]).toHaveTextContent('gate approval');
    expect(rows[2]).toHaveTextContent(
      'Restricted data: approval to create the project',
    );

    const decided = screen.getByRole('table', { name: 'decided exemptions' });
    expect(
      within(decided).getByText('Monitoring and alerting declared'),
    ).toBeInTheDocument();
    expect(within(decided).getByText('approved')).toBeInTheDocument();
  });

  it('approves with an optional note', async () => {
    const api = queueApi();
    await render(api);
    const queue = await screen.findByRole('table', {
      name: 'pending exemptions',
    });
    const row = within(queue).getAllByRole('row')[1];

    await userEvent.click(
      await within(row).findByRole('button', { name: 'Approve' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('textbox', { name: /Note/ }),
    );
    await userEvent.paste('Fine until the proxy lands.');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );

    await waitFor(() =>
      expect(api.decideExemption).toHaveBeenCalledWith('ex-42', {
        status: 'approved',
        note: 'Fine until the proxy lands.',
      }),
    );
    expect(
      await screen.findByText(
        /Dependency scan no older than 7 days on component:default\/churn-model: approved/,
      ),
    ).toBeInTheDocument();
    expect(api.listExemptions).toHaveBeenCalledTimes(2);
  });

  it('rejects only with a note saying why', async () => {
    const api = queueApi();
    await render(api);
    const queue = await screen.findByRole('table', {
      name: 'pending exemptions',
    });
    const row = within(queue).getAllByRole('row')[1];

    await userEvent.click(
      await within(row).findByRole('button', { name: 'Reject' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reject' }),
    );
    expect(
      within(dialog).getByText(
        'Say why you reject it; the requester sees the note.',
      ),
    ).toBeInTheDocument();
    expect(api.decideExemption).not.toHaveBeenCalled();

    await userEvent.click(
      within(dialog).getByRole('textbox', { name: /Note/ }),
    );
    await userEvent.paste('Scan the mirror instead; it is reachable.');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reject' }),
    );
    await waitFor(() =>
      expect(api.decideExemption).toHaveBeenCalledWith('ex-42', {
        status: 'rejected',
        note: 'Scan the mirror instead; it is reachable.',
      }),
    );
  });

  it('does not let people decide their own requests', async () => {
    await render(queueApi(), 'user:default/guest');
    const queue = await screen.findByRole('table', {
      name: 'pending exemptions',
    });
    const [, own, other] = within(queue).getAllByRole('row');
    await waitFor(() =>
      expect(
        within(own).getByRole('button', { name: 'Approve' }),
      ).toBeDisabled(),
    );
    expect(within(own).getByRole('button', { name: 'Reject' })).toBeDisabled();
    expect(
      within(other).getByRole('button', { name: 'Approve' }),
    ).toBeEnabled();
  });

  it('revokes an approved exemption with a note', async () => {
    const api = queueApi();
    await render(api);
    const decided = await screen.findByRole('table', {
      name: 'decided exemptions',
    });
    await userEvent.click(
      await within(decided).findByRole('button', { name: 'Revoke' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('textbox', { name: /Note/ }),
    );
    await userEvent.paste(
      'Monitoring shipped; the exemption is no longer needed.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke' }),
    );
    await waitFor(() =>
      expect(api.revokeExemption).toHaveBeenCalledWith(
        'ex-7',
        'Monitoring shipped; the exemption is no longer needed.',
      ),
    );
  });

  it('shows the backend’s refusal in the dialog', async () => {
    const api = queueApi();
    api.decideExemption.mockRejectedValue(
      new Error('Exemption ex-42 has already been decided'),
    );
    await render(api);
    const queue = await screen.findByRole('table', {
      name: 'pending exemptions',
    });
    await userEvent.click(
      await within(within(queue).getAllByRole('row')[1]).findByRole('button', {
        name: 'Approve',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    expect(
      await within(dialog).findByText(
        'Exemption ex-42 has already been decided',
      ),
    ).toBeInTheDocument();
  });
});
