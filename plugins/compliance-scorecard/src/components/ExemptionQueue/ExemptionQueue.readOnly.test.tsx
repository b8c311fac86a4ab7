import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
import { complianceApiRef } from '../../api';
import {
  exemptionFixture,
  mockComplianceApi,
} from '../../__testUtils__/fixtures';
import { ExemptionQueue } from './ExemptionQueue';

describe('ExemptionQueue without the approve permission', () => {
  it('shows the queue without decision buttons', async () => {
    await renderInTestApp(<ExemptionQueue />, {
      apis: [
        [
          complianceApiRef,
          mockComplianceApi({
            listExemptions: jest.fn(async () => [exemptionFixture()]),
          }),
        ],
        mockApis.permission({ authorize: AuthorizeResult.DENY }),
        mockApis.identity({ userEntityRef: 'user:default/mateo.garcia' }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      await screen.findByRole('table', { name: 'pending exemptions' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByText(/Only people with the compliance role decide/),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Reject' }),
    ).not.toBeInTheDocument();
  });
});
