import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { BlueprintReviewField } from './BlueprintReviewField';

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

  it('explains why the request would be refused', async () => {
    const { render, onChange } = setup({
      stoppedBy: { step: 'forge:cost:estimate', message: 'forge:cost:estimate: the estimated 99,000.00 USD a month is above the hard limit' },
    });
    await render();
    expect(await screen.findByRole('alert')).toHaveTextContent('above the hard limit');
    expect(onChange).not.toHaveBeenCalled();
  });
});
