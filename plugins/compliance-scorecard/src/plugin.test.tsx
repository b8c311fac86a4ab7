import { renderTestApp } from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { screen } from '@testing-library/react';
import { complianceApiRef } from './api';
import {
  churnModel,
  mockComplianceApi,
  retentionAnalytics,
  scorecardFixture,
} from './__testUtils__/fixtures';
import compliancePlugin from './index';

const card = compliancePlugin.getExtension('entity-card:compliance/scorecard');
const groupCard = compliancePlugin.getExtension(
  'entity-card:compliance/group-failing-checks',
);

describe('compliance plugin extensions', () => {
  const api = mockComplianceApi({
    getScorecard: jest.fn(async () => scorecardFixture()),
    getGroupFailingChecks: jest.fn(async () => []),
  });

  it('puts the scorecard card on the page of a component, not on a team page', async () => {
    renderTestApp({
      extensions: [
        createTestEntityPage({ entity: churnModel }),
        card,
        groupCard,
      ],
      apis: [[complianceApiRef, api]],
    });
    expect(
      await screen.findByRole('img', { name: 'compliance score 61 of 100' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByText('Failing compliance checks'),
    ).not.toBeInTheDocument();
  });

  it('puts the failing checks of the team on a group page, without a scorecard', async () => {
    renderTestApp({
      extensions: [
        createTestEntityPage({ entity: retentionAnalytics }),
        card,
        groupCard,
      ],
      apis: [[complianceApiRef, api]],
    });
    expect(
      await screen.findByText('Failing compliance checks'),
    ).toBeInTheDocument();
    expect(
      screen.queryByText('SOC 2 and NIST 800-53 checks'),
    ).not.toBeInTheDocument();
  });
});
