import { InfoCard } from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Chip, Grid, Typography, makeStyles } from '@material-ui/core';

/** The annotations shown here; their meaning is documented in docs/annotations.md. */
const A = {
  classification: 'forge.io/data-classification',
  pii: 'forge.io/contains-pii',
  region: 'forge.io/region',
  retention: 'forge.io/retention-days',
  costCenter: 'forge.io/cost-center',
  blueprint: 'forge.io/blueprint',
  costEstimate: 'forge.io/cost-estimate',
};

const CLASSIFICATION_COLOURS: Record<string, string> = {
  public: '#2e7d32',
  internal: '#1565c0',
  confidential: '#ef6c00',
  restricted: '#c62828',
};

const PII_LABELS: Record<string, string> = { true: 'yes', false: 'no' };

const useStyles = makeStyles({
  label: { fontWeight: 600 },
  chip: { color: '#fff', fontWeight: 700, textTransform: 'uppercase' },
});

function Field(props: { label: string; children: React.ReactNode }) {
  const classes = useStyles();
  return (
    <Grid item xs={6}>
      <Typography variant="body2" className={classes.label}>
        {props.label}
      </Typography>
      <Typography variant="body2" component="div">
        {props.children}
      </Typography>
    </Grid>
  );
}

/** Shows how an entity's data is governed: classification, personal data, region, retention, provenance. */
export function DataGovernanceCard() {
  const classes = useStyles();
  const { entity } = useEntity();
  const currency =
    useApi(configApiRef).getOptionalString('forge.blueprints.currency') ?? '';
  const annotations = entity.metadata.annotations ?? {};
  const classification = annotations[A.classification];
  const pii = annotations[A.pii];
  return (
    <InfoCard title="Data governance">
      <Grid container spacing={2}>
        <Field label="Classification">
          {classification ? (
            <Chip
              size="small"
              label={classification}
              className={classes.chip}
              style={{
                background: CLASSIFICATION_COLOURS[classification] ?? '#616161',
              }}
            />
          ) : (
            'not classified'
          )}
        </Field>
        <Field label="Personal data (PII)">
          {PII_LABELS[pii ?? ''] ?? 'not declared'}
        </Field>
        <Field label="Region">{annotations[A.region] ?? 'not declared'}</Field>
        {annotations[A.retention] && (
          <Field label="Retention">{annotations[A.retention]} days</Field>
        )}
        {annotations[A.costCenter] && (
          <Field label="Cost center">{annotations[A.costCenter]}</Field>
        )}
        {annotations[A.blueprint] && (
          <Field label="Blueprint">{annotations[A.blueprint]}</Field>
        )}
        {annotations[A.costEstimate] && (
          <Field label="Estimated cost">
            {annotations[A.costEstimate]} {currency} a month
          </Field>
        )}
      </Grid>
    </InfoCard>
  );
}
