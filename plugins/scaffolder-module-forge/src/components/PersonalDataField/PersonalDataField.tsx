import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import {
  Checkbox,
  FormControl,
  FormControlLabel,
  FormHelperText,
} from '@material-ui/core';
import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';

/**
 * `ui:field: ForgePersonalData`: "Processes personal data", ticked and locked when a chosen data source holds
 * personal data (forge.io/contains-pii), as the environment plan and the gate will treat it - so the form says what
 * the review and the gate say. ui:options.sourcesField names the data-sources field (default dataSources).
 */
export function PersonalDataField(
  props: FieldExtensionComponentProps<boolean, { sourcesField?: string }>,
) {
  const { formData, onChange, formContext, uiSchema, schema, idSchema } = props;
  const catalogApi = useApi(catalogApiRef);
  const sourcesField = uiSchema['ui:options']?.sourcesField ?? 'dataSources';
  const refs =
    ((formContext?.formData as Record<string, unknown>)?.[sourcesField] as string[] | undefined) ?? [];
  const key = refs.join(',');

  const { value: personal = [] } = useAsync(async () => {
    if (!key) return [];
    const { items } = await catalogApi.getEntitiesByRefs({ entityRefs: key.split(',') });
    return items.flatMap(e =>
      e && e.metadata.annotations?.[FORGE_ANNOTATIONS.containsPii] === 'true'
        ? [e.metadata.title ?? stringifyEntityRef(e)]
        : [],
    );
  }, [key]);
  const required = personal.length > 0;

  useEffect(() => {
    if (required && formData !== true) onChange(true);
  }, [required, formData, onChange]);

  const id = idSchema?.$id ?? 'containsPii';
  return (
    <FormControl margin="normal" fullWidth>
      <FormControlLabel
        control={
          <Checkbox
            id={id}
            checked={required || formData === true}
            disabled={required}
            onChange={e => onChange(e.target.checked)}
            inputProps={{ 'aria-describedby': `${id}-help` }}
          />
        }
        label={schema.title ?? 'Processes personal data'}
      />
      <FormHelperText id={`${id}-help`}>
        {required
          ? `Set by Forge: ${personal.join(', ')} ${personal.length === 1 ? 'holds' : 'hold'} personal data, so the project does too.`
          : schema.description}
      </FormHelperText>
    </FormControl>
  );
}
