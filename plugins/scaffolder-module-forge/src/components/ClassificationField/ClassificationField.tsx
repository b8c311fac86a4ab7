import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  classificationRank,
  DATA_CLASSIFICATIONS,
  FORGE_ANNOTATIONS,
  highestClassification,
} from '@internal/plugin-compliance-common';
import { MenuItem, TextField } from '@material-ui/core';
import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';

/**
 * Data classification, pre-filled from the chosen data sources and never lower than theirs: the options below the
 * most sensitive source are not offered. ui:options.sourcesField names the data-sources field (default dataSources).
 */
export function ClassificationField(
  props: FieldExtensionComponentProps<string, { sourcesField?: string }>,
) {
  const { formData, onChange, formContext, uiSchema, schema, rawErrors, required, idSchema } = props;
  const catalogApi = useApi(catalogApiRef);
  const sourcesField = uiSchema['ui:options']?.sourcesField ?? 'dataSources';
  const refs = ((formContext?.formData as Record<string, unknown>)?.[sourcesField] as string[] | undefined) ?? [];
  const key = refs.join(',');

  const { value: sources = [] } = useAsync(async () => {
    if (!key) return [];
    const { items } = await catalogApi.getEntitiesByRefs({ entityRefs: key.split(',') });
    return items.flatMap(e =>
      e
        ? [{ ref: stringifyEntityRef(e), classification: e.metadata.annotations?.[FORGE_ANNOTATIONS.dataClassification] }]
        : [],
    );
  }, [key]);
  const floor = highestClassification(sources.map(s => s.classification));

  useEffect(() => {
    if (floor && classificationRank(formData) < classificationRank(floor)) onChange(floor);
  }, [floor, formData, onChange]);

  const binding = floor ? sources.filter(s => s.classification === floor).map(s => s.ref) : [];
  return (
    <TextField
      id={idSchema?.$id}
      select
      fullWidth
      margin="normal"
      label={schema.title ?? 'Data classification'}
      required={required}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value)}
      error={!!rawErrors?.length}
      helperText={
        floor
          ? `At least ${floor}: ${binding.join(', ')} ${binding.length === 1 ? 'is' : 'are'} ${floor}.`
          : schema.description
      }
      inputProps={{ 'aria-label': 'Data classification' }}
    >
      {DATA_CLASSIFICATIONS.filter(c => !floor || classificationRank(c) >= classificationRank(floor)).map(c => (
        <MenuItem key={c} value={c}>
          {c}
        </MenuItem>
      ))}
    </TextField>
  );
}
