import { renderInTestApp, TestApiProvider } from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, waitFor } from '@testing-library/react';
import { PersonalDataField } from './PersonalDataField';

const resource = (name: string, title: string, pii: boolean) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name, namespace: 'default', title, annotations: { 'forge.io/contains-pii': String(pii) } },
  spec: { type: 'database', owner: 'group:default/data-analytics' },
});

async function render(dataSources: string[], formData?: boolean) {
  const catalogApi = catalogApiMock({
    entities: [resource('claims-warehouse', 'Claims Warehouse', true), resource('market-rates', 'Market Rates', false)],
  });
  const onChange = jest.fn();
  await renderInTestApp(
    <TestApiProvider apis={[[catalogApiRef, catalogApi]]}>
      <PersonalDataField
        {...({
          name: 'containsPii',
          onChange,
          formData,
          uiSchema: {},
          idSchema: { $id: 'root_containsPii' },
          formContext: { formData: { dataSources } },
          schema: { type: 'boolean', title: 'Processes personal data', description: 'Also set by Forge.' },
        } as any)}
      />
    </TestApiProvider>,
  );
  return onChange;
}

describe('PersonalDataField', () => {
  it('ticks and locks the box when a data source holds personal data, and says which', async () => {
    const onChange = await render(['resource:default/claims-warehouse', 'resource:default/market-rates'], false);
    expect(
      await screen.findByText('Set by Forge: Claims Warehouse holds personal data, so the project does too.'),
    ).toBeInTheDocument();
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(true));
    const box = screen.getByRole('checkbox', { name: 'Processes personal data' });
    expect(box).toBeDisabled();
  });

  it('leaves the choice to the person otherwise', async () => {
    const onChange = await render(['resource:default/market-rates'], false);
    expect(await screen.findByText('Also set by Forge.')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Processes personal data' })).toBeEnabled();
    expect(onChange).not.toHaveBeenCalled();
  });
});
