import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ClassificationField } from './ClassificationField';

const resource = (name: string, classification: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name, namespace: 'default', annotations: { 'forge.io/data-classification': classification } },
  spec: { type: 'dataset', owner: 'group:default/x' },
});

async function render(dataSources: string[], formData?: string) {
  const onChange = jest.fn();
  await renderInTestApp(
    <ClassificationField
      {...({
        name: 'classification',
        onChange,
        formData,
        uiSchema: {},
        schema: { type: 'string', title: 'Data classification' },
        formContext: { formData: { dataSources } },
        idSchema: { $id: 'root_classification' },
      } as any)}
    />,
    {
      apis: [
        [
          catalogApiRef,
          catalogApiMock({
            entities: [resource('claims-warehouse', 'restricted'), resource('policy-events-stream', 'confidential')],
          }),
        ],
      ],
    },
  );
  return onChange;
}

describe('ClassificationField', () => {
  it('pre-fills the most sensitive classification of the sources and offers nothing lower', async () => {
    const onChange = await render(['resource:default/policy-events-stream', 'resource:default/claims-warehouse']);
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('restricted'));
    expect(screen.getByText('At least restricted: resource:default/claims-warehouse is restricted.')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /Data classification/ }));
    expect(within(screen.getByRole('listbox')).getAllByRole('option').map(o => o.textContent)).toEqual(['restricted']);
  });

  it('raises a lower choice and keeps a higher one', async () => {
    const raised = await render(['resource:default/policy-events-stream'], 'internal');
    await waitFor(() => expect(raised).toHaveBeenCalledWith('confidential'));
    const kept = await render(['resource:default/policy-events-stream'], 'restricted');
    await new Promise(r => setTimeout(r, 50));
    expect(kept).not.toHaveBeenCalled();
  });
});
