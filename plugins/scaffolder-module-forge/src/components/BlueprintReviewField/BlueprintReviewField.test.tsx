import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { BlueprintReviewField, NOT_READY, validateBlueprintReview } from './BlueprintReviewField';

const preview = {
  monthlyTotal: 1760,
  currency: 'USD',
  costLines: [
    { category: 'compute', item: 'training: large', description: '1 x Large (8 vCPU, 32 GiB) for 400 h', quantity: 400, unit: 'replica-hour', unitPrice: 0.4, monthly: 160 },
    { category: 'gpu', item: 'training: nvidia-a100', description: '1 x NVIDIA A100 per replica for 400 h', quantity: 400, unit: 'gpu-hour', unitPrice: 4, monthly: 1600 },
  ],
  costSummary: 'Estimated 1,760.00 USD a month for group:default/retention-analytics.',
  classification: 'restricted',
  containsPii: true,
  decision: 'approval-required',
  score: 100,
  warnings: [],
  approvals: [{ checkId: 'approval.restricted-data', reason: 'the project reads restricted data', status: 'missing' }],
  complianceSummary:
    'Approval required before this project can be created:\n- approval.restricted-data: the project reads restricted data (resource:default/claims-warehouse).',
};

function setup(body: unknown, status = 200) {
  const requests: Array<{ url: string; body: any }> = [];
  const fetchApi = {
    fetch: async (url: string, init?: RequestInit) => {
      requests.push({ url, body: JSON.parse(String(init?.body)) });
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    },
  };
  const discoveryApi = { getBaseUrl: async (id: string) => `http://forge.test/api/${id}` };
  const onChange = jest.fn();
  const render = () =>
    renderInTestApp(
      <BlueprintReviewField
        {...({
          name: 'review',
          onChange,
          formData: undefined,
          uiSchema: { 'ui:options': { template: 'ml-training-pipeline' } },
          formContext: { formData: { name: 'churn-model', dataSources: ['resource:default/claims-warehouse'], review: 'stale' } },
          schema: { type: 'string' },
        } as any)}
      />,
      { apis: [[fetchApiRef, fetchApi as any], [discoveryApiRef, discoveryApi as any]] },
    );
  return { requests, onChange, render };
}

describe('BlueprintReviewField', () => {
  it('previews the form as it stands and shows the estimate and the compliance result', async () => {
    const { requests, onChange, render } = setup({ preview });
    await render();
    expect(await screen.findByText('1,760.00 USD')).toBeInTheDocument();
    expect(screen.getByText('1 x NVIDIA A100 per replica for 400 h')).toBeInTheDocument();
    expect(screen.getByText('Approval required')).toBeInTheDocument();
    expect(screen.getByText(/approval\.restricted-data: the project reads restricted data/)).toBeInTheDocument();
    // The preview is of the other answers, not of this field's own value.
    expect(requests).toEqual([
      {
        url: 'http://forge.test/api/scaffolder/forge/preview',
        body: {
          templateRef: 'template:default/ml-training-pipeline',
          values: { name: 'churn-model', dataSources: ['resource:default/claims-warehouse'] },
        },
      },
    ]);
    expect(onChange).toHaveBeenCalledWith('1,760.00 USD a month; approval required');
  });

  it('explains why the request would be refused, in words, and keeps Review out of reach', async () => {
    const { render, onChange } = setup({
      stoppedBy: {
        step: 'forge:cost:estimate',
        message: 'forge:cost:estimate: group:default/grc-office has no cost center to charge. Enter one under Advanced.',
      },
    });
    await render();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The cost estimate stopped the request');
    expect(alert).toHaveTextContent(/^The cost estimate stopped the requestgroup:default\/grc-office has no cost center/);
    const value = onChange.mock.calls[onChange.mock.calls.length - 1][0];
    expect(value).toBe(`${NOT_READY}The cost estimate stopped the request; change the answers as it says.`);
    const errors: string[] = [];
    validateBlueprintReview(value, { addError: e => errors.push(e) });
    expect(errors).toEqual(['The cost estimate stopped the request; change the answers as it says.']);
  });

  it('does not let a request the gate blocks go on to Create', async () => {
    const { render, onChange } = setup({
      preview: { ...preview, decision: 'blocked', complianceSummary: 'Blocked by the compliance gate: 1 check failed.' },
    });
    await render();
    expect(await screen.findByText('Blocked by the compliance gate')).toBeInTheDocument();
    expect(screen.getByText(/cannot be created as it stands/)).toBeInTheDocument();
    const errors: string[] = [];
    validateBlueprintReview(onChange.mock.calls[onChange.mock.calls.length - 1][0], { addError: e => errors.push(e) });
    expect(errors).toEqual(['the compliance gate blocks this request; change the answers as the failed checks say.']);
  });

  it('says what Create does when an approval is needed, and lets it go on', async () => {
    const { render, onChange } = setup({ preview });
    await render();
    expect(await screen.findByText(/nothing is published until it is\s+approved/)).toBeInTheDocument();
    const errors: string[] = [];
    validateBlueprintReview(onChange.mock.calls[onChange.mock.calls.length - 1][0], { addError: e => errors.push(e) });
    expect(errors).toEqual([]);
  });
});
