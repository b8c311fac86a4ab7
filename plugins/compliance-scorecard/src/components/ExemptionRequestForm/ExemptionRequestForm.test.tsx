import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { complianceApiRef } from '../../api';
import {
  exemptionFixture,
  mockComplianceApi,
  scorecardFixture,
} from '../../__testUtils__/fixtures';
import {
  endOfDayIso,
  formatDate,
  latestExpiryDay,
  toDateInputValue,
} from '../shared';
import { ExemptionRequestForm } from './ExemptionRequestForm';

/** Pastes text into a field: as a person would type it, without a keystroke per character. */
async function typeInto(field: HTMLElement, text: string) {
  await userEvent.click(field);
  await userEvent.paste(text);
}

const failing = scorecardFixture().results.filter(r => r.status === 'fail');

function render(
  api: ReturnType<typeof mockComplianceApi>,
  onRequested = jest.fn(),
  maxDays = 30,
) {
  return renderInTestApp(
    <ExemptionRequestForm
      entityRef="component:default/churn-model"
      checks={failing}
      checkId="env.monitoring"
      onRequested={onRequested}
    />,
    {
      apis: [[complianceApiRef, api]],
      config: { forge: { compliance: { exemptions: { maxDays } } } },
    },
  );
}

describe('ExemptionRequestForm', () => {
  it('posts the request with the check, both texts and the end of the chosen day', async () => {
    const created = exemptionFixture({
      checkId: 'security.dependency-scan-fresh',
    });
    const api = mockComplianceApi({
      requestExemption: jest.fn(async () => created),
    });
    const onRequested = jest.fn();
    await render(api, onRequested);

    await userEvent.click(
      screen.getByRole('button', { name: /Failing check/ }),
    );
    await userEvent.click(
      await screen.findByRole('option', {
        name: /Dependency scan no older than 7 days/,
      }),
    );
    await typeInto(
      screen.getByRole('textbox', { name: /^Justification/ }),
      '  The scanner cannot reach the private registry until the proxy is configured. ',
    );
    await typeInto(
      screen.getByRole('textbox', { name: /^Compensating control/ }),
      'Weekly manual review of the lock file.',
    );
    const expiry = toDateInputValue(
      new Date(Date.now() + 20 * 24 * 3600 * 1000),
    );
    fireEvent.change(screen.getByLabelText(/Expires on/), {
      target: { value: expiry },
    });
    await userEvent.click(
      screen.getByRole('button', { name: 'Request exemption' }),
    );

    expect(api.requestExemption).toHaveBeenCalledTimes(1);
    expect(api.requestExemption).toHaveBeenCalledWith({
      entityRef: 'component:default/churn-model',
      checkId: 'security.dependency-scan-fresh',
      justification:
        'The scanner cannot reach the private registry until the proxy is configured.',
      compensatingControl: 'Weekly manual review of the lock file.',
      expiresAt: endOfDayIso(expiry),
    });
    expect(onRequested).toHaveBeenCalledWith(created);
  });

  it('offers no expiry later than the configured maximum and says what is missing before sending', async () => {
    const api = mockComplianceApi();
    await render(api, jest.fn(), 30);

    const expires = screen.getByLabelText(/Expires on/);
    const latest = latestExpiryDay(new Date(), 30);
    expect(expires).toHaveAttribute('max', latest);
    expect(
      screen.getByText(
        `At the end of this day the check counts as failing again. At most 30 days (latest ${formatDate(
          endOfDayIso(latest),
        )}).`,
      ),
    ).toBeInTheDocument();

    await typeInto(
      screen.getByRole('textbox', { name: /^Justification/ }),
      'too short',
    );
    fireEvent.change(expires, {
      target: {
        value: toDateInputValue(new Date(Date.now() + 40 * 24 * 3600 * 1000)),
      },
    });
    await userEvent.click(
      screen.getByRole('button', { name: 'Request exemption' }),
    );

    expect(
      screen.getByText(
        'Explain in at least 20 characters why the risk is acceptable',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Name the control that reduces the risk meanwhile/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        `Choose a date from today to ${formatDate(
          endOfDayIso(latest),
        )} (at most 30 days)`,
      ),
    ).toBeInTheDocument();
    expect(api.requestExemption).not.toHaveBeenCalled();
  });

  it('shows the backend’s refusal and keeps what was typed', async () => {
    const api = mockComplianceApi({
      requestExemption: jest.fn(async () => {
        throw new Error(
          'Exemption ex-9 for env.monitoring on component:default/churn-model is already waiting for a decision',
        );
      }),
    });
    const onRequested = jest.fn();
    await render(api, onRequested);

    await typeInto(
      screen.getByRole('textbox', { name: /^Justification/ }),
      'Metrics ship with the next release.',
    );
    await typeInto(
      screen.getByRole('textbox', { name: /^Compensating control/ }),
      'On-call checks dashboards daily.',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Request exemption' }),
    );

    expect(
      await screen.findByText(/is already waiting for a decision/),
    ).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /^Justification/ })).toHaveValue(
      'Metrics ship with the next release.',
    );
    expect(onRequested).not.toHaveBeenCalled();
  });
});
