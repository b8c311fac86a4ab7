import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { TextField } from '@material-ui/core';
import { Autocomplete } from '@material-ui/lab';
import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  listOwnerChoices,
  missingCostCenterText,
  OwnerChoice,
} from '../../api/BlueprintOwnersClient';

/**
 * `ui:field: ForgeOwnerPicker`: the owning team, chosen among the teams the person may own projects for (theirs and
 * those below them; admins any), as the backend enforces it. Says which cost center the project is billed to, or,
 * when the team has none, what is missing and who can add it - before anything is submitted.
 */
export function OwnerField(props: FieldExtensionComponentProps<string>) {
  const { formData, onChange, schema, required, rawErrors, idSchema, formContext } = props;
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const state = useAsync(() => listOwnerChoices({ discoveryApi, fetchApi }), []);
  const choices = state.value;
  const selected = choices?.groups.find(g => g.ref === formData) ?? null;
  const costCenterGiven = Boolean((formContext?.formData as Record<string, unknown> | undefined)?.costCenter);

  // One team to choose from: choose it.
  useEffect(() => {
    if (!formData && choices?.groups.length === 1 && !choices.anyGroup) onChange(choices.groups[0].ref);
  }, [choices, formData, onChange]);

  let helperText: string = schema.description ?? '';
  if (state.error) helperText = `Could not load your teams: ${state.error.message}`;
  else if (choices && choices.groups.length === 0) {
    helperText = 'You belong to no team in the catalog, so you cannot own a project yet; ask a platform admin to add you to one.';
  } else if (selected?.costCenter) {
    helperText = `Billed to ${selected.title}'s cost center ${selected.costCenter}.`;
  } else if (selected && !costCenterGiven) {
    helperText = missingCostCenterText(selected, choices?.costCenterContact);
  }

  return (
    <Autocomplete<OwnerChoice>
      id={idSchema?.$id}
      options={choices?.groups ?? []}
      loading={state.loading}
      value={selected}
      getOptionLabel={g => `${g.title} (${g.ref.replace(/^group:default\//, '')})`}
      getOptionSelected={(a, b) => a.ref === b.ref}
      onChange={(_event, value) => onChange(value?.ref ?? '')}
      renderInput={params => (
        <TextField
          {...params}
          margin="normal"
          label={schema.title ?? 'Owner'}
          required={required}
          error={Boolean(rawErrors?.length) || Boolean(state.error)}
          helperText={helperText}
          FormHelperTextProps={{
            // A missing cost center is a warning to act on, not just a hint.
            role: selected && !selected.costCenter && !costCenterGiven ? 'status' : undefined,
          }}
        />
      )}
    />
  );
}

/**
 * Before the next page: the team must be one the person may choose (the backend refuses anything else before
 * publishing, so the form says so first).
 */
export async function validateOwner(
  value: string | undefined,
  validation: { addError(message: string): void },
  context: { apiHolder: { get<T>(ref: { id: string; T: T }): T | undefined } },
) {
  if (!value) return;
  const discoveryApi = context.apiHolder.get(discoveryApiRef);
  const fetchApi = context.apiHolder.get(fetchApiRef);
  if (!discoveryApi || !fetchApi) return;
  const choices = await listOwnerChoices({ discoveryApi, fetchApi });
  if (choices.anyGroup || choices.groups.some(g => g.ref === value)) return;
  validation.addError(
    choices.groups.length
      ? `You may own projects for ${choices.groups.map(g => g.title).join(', ')} only: projects are billed to your own teams or the teams below them.`
      : 'You belong to no team in the catalog; ask a platform admin to add you to one.',
  );
}
