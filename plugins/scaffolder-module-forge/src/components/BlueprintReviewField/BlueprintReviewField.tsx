import { Progress } from '@backstage/core-components';
import { discoveryApiRef, fetchApiRef, useApi } from '@backstage/frontend-plugin-api';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  Box,
  Button,
  Chip,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useEffect } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { BlueprintPreview, previewBlueprint } from '../../api/BlueprintPreviewClient';

const DECISIONS: Record<BlueprintPreview['decision'], { label: string; colour: string }> = {
  passed: { label: 'Passes the compliance gate', colour: '#2e7d32' },
  'approval-required': { label: 'Approval required', colour: '#ef6c00' },
  blocked: { label: 'Blocked by the compliance gate', colour: '#c62828' },
};

const money = (amount: number, currency: string) =>
  `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;

/** The one line the review step lists for this field. */
export function summarise(preview: BlueprintPreview): string {
  return `${money(preview.monthlyTotal, preview.currency)} a month; ${DECISIONS[preview.decision].label.toLowerCase()}`;
}

/**
 * The last page of a Forge blueprint: runs the blueprint as a dry run with the answers so far and shows the monthly
 * estimate line by line and the compliance gate's result, before anything is created. ui:options.template names the
 * blueprint (template:default/<name>).
 */
export function BlueprintReviewField(
  props: FieldExtensionComponentProps<string, { template?: string }>,
) {
  const { uiSchema, formContext, onChange, name } = props;
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const template = uiSchema['ui:options']?.template ?? '';
  const values = { ...((formContext?.formData as Record<string, unknown>) ?? {}) };
  delete values[name];
  const key = JSON.stringify(values);

  const state = useAsyncRetry(
    () => previewBlueprint({ discoveryApi, fetchApi }, `template:default/${template}`, JSON.parse(key)),
    [template, key],
  );
  const preview = state.value?.preview;
  useEffect(() => {
    if (preview) onChange(summarise(preview));
  }, [preview, onChange]);

  return (
    <Paper variant="outlined">
      <Box p={2}>
        <Box display="flex" alignItems="center" justifyContent="space-between" mb={1}>
          <Typography variant="h6">Cost estimate and compliance</Typography>
          <Button size="small" onClick={state.retry} disabled={state.loading}>
            Check again
          </Button>
        </Box>
        {state.loading && <Progress />}
        {state.error && <Alert severity="error">Could not check the request: {state.error.message}</Alert>}
        {state.value?.errors && (
          <Alert severity="info">
            Complete the earlier pages first: {state.value.errors.join('; ')}
          </Alert>
        )}
        {state.value?.stoppedBy && (
          <Alert severity="error" role="alert">
            {state.value.stoppedBy.message}
          </Alert>
        )}
        {preview && !state.loading && <PreviewDetails preview={preview} />}
      </Box>
    </Paper>
  );
}

function PreviewDetails({ preview }: { preview: BlueprintPreview }) {
  const decision = DECISIONS[preview.decision];
  return (
    <>
      <Typography variant="subtitle1" gutterBottom>
        Estimated monthly cost: <strong>{money(preview.monthlyTotal, preview.currency)}</strong>
      </Typography>
      <Table size="small" aria-label="Monthly cost estimate">
        <TableHead>
          <TableRow>
            <TableCell>Item</TableCell>
            <TableCell align="right">Quantity</TableCell>
            <TableCell align="right">Per month</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {preview.costLines.map(line => (
            <TableRow key={line.item}>
              <TableCell>{line.description}</TableCell>
              <TableCell align="right">
                {line.quantity.toLocaleString('en-US')} {line.unit}
              </TableCell>
              <TableCell align="right">{money(line.monthly, preview.currency)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Box mt={1} mb={2}>
        <Typography variant="body2" color="textSecondary">
          {preview.costSummary}
        </Typography>
      </Box>
      <Box display="flex" alignItems="center" mb={1} style={{ gap: 8 }}>
        <Chip
          label={decision.label}
          style={{ background: decision.colour, color: '#fff', fontWeight: 700 }}
        />
        <Typography variant="body2">
          Classification <strong>{preview.classification}</strong>
          {preview.containsPii ? ', personal data' : ''}
        </Typography>
      </Box>
      <Typography variant="body2" component="pre" style={{ whiteSpace: 'pre-wrap', fontFamily: 'inherit' }}>
        {preview.complianceSummary}
      </Typography>
    </>
  );
}
