import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { complianceApiRef } from '../../api';
import {
  mockComplianceApi,
  retentionAnalytics,
} from '../../__testUtils__/fixtures';
import { endOfDayIso } from '../shared';
import { EvidenceExport } from './EvidenceExport';

describe('EvidenceExport', () => {
  const createObjectURL = jest.fn(() => 'blob:evidence');
  const revokeObjectURL = jest.fn();
  let clicked: HTMLAnchorElement | undefined;

  beforeEach(() => {
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    clicked = undefined;
    // jsdom cannot save files: remember which link the component clicked instead.
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {
      clicked =
        document.querySelector<HTMLAnchorElement>('a[download]') ?? undefined;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('downloads the evidence of a team for one framework and control as of a date, in CSV', async () => {
    const blob = new Blob(['entity_ref,check_id\n'], { type: 'text/csv' });
    const api = mockComplianceApi({
      exportEvidence: jest.fn(async () => ({
        blob,
        filename: 'forge-evidence-2026-11-01.csv',
      })),
      listPolicyPacks: jest.fn(async () => [
        {
          name: 'baseline',
          version: '1.0.0',
          title: 'Baseline',
          parameters: {},
          checks: [],
          controls: [
            {
              id: 'AC-2',
              framework: 'NIST-800-53' as const,
              family: 'AC',
              title: 'Account Management',
            },
            {
              id: 'CC6.1',
              framework: 'SOC2' as const,
              family: 'CC6',
              title: 'Logical access security',
            },
          ],
        },
      ]),
    });
    await renderInTestApp(<EvidenceExport />, {
      apis: [
        [complianceApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: [retentionAnalytics] })],
      ],
    });

    await userEvent.click(screen.getByRole('button', { name: /Scope/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'A team (and its sub-teams)' }),
    );
    await userEvent.click(screen.getByRole('button', { name: /Team/ }));
    await userEvent.click(
      await screen.findByRole('option', {
        name: /group:default\/retention-analytics/,
      }),
    );
    await userEvent.click(screen.getByRole('button', { name: /Framework/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'NIST 800-53' }),
    );
    await userEvent.click(screen.getByRole('button', { name: /Control/ }));
    // Only controls of the chosen framework are offered.
    expect(
      screen.queryByRole('option', { name: /CC6.1/ }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      await screen.findByRole('option', { name: 'AC-2: Account Management' }),
    );
    fireEvent.change(screen.getByLabelText('As of'), {
      target: { value: '2026-11-01' },
    });
    await userEvent.click(screen.getByRole('radio', { name: 'CSV' }));
    await userEvent.click(
      screen.getByRole('button', { name: 'Download evidence' }),
    );

    await waitFor(() =>
      expect(api.exportEvidence).toHaveBeenCalledWith({
        scope: 'group:group:default/retention-analytics',
        framework: 'NIST-800-53',
        control: 'AC-2',
        asOf: endOfDayIso('2026-11-01'),
        format: 'csv',
      }),
    );
    expect(
      await screen.findByText(/Downloaded forge-evidence-2026-11-01.csv/),
    ).toBeInTheDocument();
    expect(createObjectURL).toHaveBeenCalledWith(blob);
    expect(clicked?.download).toBe('forge-evidence-2026-11-01.csv');
  });

  it('asks for the team before exporting one, and shows refusals', async () => {
    const api = mockComplianceApi({
      exportEvidence: jest.fn(async () => {
        throw new Error('You are not allowed to evidence export');
      }),
    });
    await renderInTestApp(<EvidenceExport />, {
      apis: [
        [complianceApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: [] })],
      ],
    });
    await userEvent.click(screen.getByRole('button', { name: /Scope/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'One entity' }),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Download evidence' }),
    );
    expect(
      await screen.findByText('Choose the entity to export evidence for.'),
    ).toBeInTheDocument();
    expect(api.exportEvidence).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: /Scope/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Whole organisation' }),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Download evidence' }),
    );
    expect(
      await screen.findByText('You are not allowed to evidence export'),
    ).toBeInTheDocument();
    expect(api.exportEvidence).toHaveBeenCalledWith({
      scope: 'org',
      framework: undefined,
      control: undefined,
      asOf: undefined,
      format: 'oscal',
    });
  });
});
