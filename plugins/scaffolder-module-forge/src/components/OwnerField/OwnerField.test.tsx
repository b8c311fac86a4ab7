import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor } from '@testing-library/react';
import { OwnerChoices } from '../../api/BlueprintOwnersClient';
import { OwnerField, validateOwner } from './OwnerField';

const retention = { ref: 'group:default/retention-analytics', title: 'Retention Analytics', costCenter: 'CC-4111' };
const grc = { ref: 'group:default/grc-office', title: 'GRC Office' };
const contact = { ref: 'group:default/platform-admins', title: 'Platform Admins', email: 'platform-admins@meridian-mutual.example' };

function apisFor(choices: OwnerChoices) {
  const fetchApi = {
    fetch: async (url: string) => {
      expect(url).toBe('http://forge.test/api/scaffolder/forge/owners');
      return new Response(JSON.stringify(choices), { headers: { 'content-type': 'application/json' } });
    },
  };
  const discoveryApi = { getBaseUrl: async (id: string) => `http://forge.test/api/${id}` };
  return { fetchApi, discoveryApi };
}

async function render(choices: OwnerChoices, formData?: string, costCenter?: string) {
  const { fetchApi, discoveryApi } = apisFor(choices);
  const onChange = jest.fn();
  await renderInTestApp(
    <OwnerField
      {...({
        name: 'owner',
        onChange,
        formData,
        required: true,
        uiSchema: {},
        idSchema: { $id: 'root_owner' },
        formContext: { formData: { owner: formData, costCenter } },
        schema: { type: 'string', title: 'Owner', description: 'The team that owns the project and pays for it.' },
      } as any)}
    />,
    { apis: [[fetchApiRef, fetchApi as any], [discoveryApiRef, discoveryApi as any]] },
  );
  return onChange;
}

describe('OwnerField', () => {
  it('chooses the only team a member may own projects for', async () => {
    const onChange = await render({ anyGroup: false, groups: [retention] });
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('group:default/retention-analytics'));
  });

  it('says the chosen team is billed to its cost center', async () => {
    await render({ anyGroup: false, groups: [retention] }, retention.ref);
    expect(await screen.findByText("Billed to Retention Analytics's cost center CC-4111.")).toBeInTheDocument();
  });

  it('says, before submit, that a team has no cost center and who can add it', async () => {
    await render({ anyGroup: true, groups: [retention, grc], costCenterContact: contact }, grc.ref);
    expect(
      await screen.findByText(
        'GRC Office has no cost center (forge.io/cost-center) in the catalog, so there is nothing to bill the project ' +
          'to. Enter the cost center under Advanced (Cost center), or ask Platform Admins ' +
          "(platform-admins@meridian-mutual.example) to add the team's.",
      ),
    ).toBeInTheDocument();
  });

  it('stops at the first page when the team is not one the person may choose', async () => {
    const { fetchApi, discoveryApi } = apisFor({ anyGroup: false, groups: [retention] });
    const apiHolder = { get: (ref: { id: string }) => (ref.id === fetchApiRef.id ? fetchApi : discoveryApi) } as any;
    const errors: string[] = [];
    await validateOwner('group:default/grc-office', { addError: e => errors.push(e) }, { apiHolder });
    expect(errors).toEqual([
      'You may own projects for Retention Analytics only: projects are billed to your own teams or the teams below them.',
    ]);
    const none: string[] = [];
    await validateOwner(retention.ref, { addError: e => none.push(e) }, { apiHolder });
    expect(none).toEqual([]);
  });
});
