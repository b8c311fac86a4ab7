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
import { Alert, AlertTitle } from '@material-ui/lab';
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
 * The field's value while the request cannot be created: the reason, after this prefix. The form's validation
 * ({@link validateBlueprintReview}) turns it into an error, so Review and Create stay out of reach until the
 * answers are changed - a blocked request is not sent to fail as a task.
 */
export const NOT_READY = 'Not ready: ';

/** Which step stopped the dry run, in words. */
const STEPS: Record<string, string> = {
  'forge:cost:estimate': 'The cost estimate',
  'forge:environment:plan': 'The environment plan',
  'forge:publish:plan': 'Publishing',
  'forge:compliance:evaluate': 'The compliance gate',
};

/** A step's message without the action id it starts with (the heading names the step). */
const withoutActionId = (message: string) => message.replace(/^forge:[a-z:]+:\s*/, '');

/** Blocks the Review button while the review field says the request cannot be created. */
export function validateBlueprintReview(value: unknown, validation: { addError(message: string): void }) {
  if (typeof value === 'string' && value.startsWith(NOT_READY)) {
    validation.addError(value.slice(NOT_READY.length));
  }
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
  const stoppedBy = state.value?.stoppedBy;
  const incomplete = state.value?.errors;
  useEffect(() => {
    if (state.loading) onChange(`${NOT_READY}the cost and compliance check is still running; wait for it to finish.`);
    else if (state.error) onChange(`${NOT_READY}the cost and compliance check failed (${state.error.message}); use Check again.`);
    else if (incomplete) onChange(`${NOT_READY}complete the earlier pages first.`);
    else if (stoppedBy) onChange(`${NOT_READY}${STEPS[stoppedBy.step] ?? 'A step'} stopped the request; change the answers as it says.`);
    else if (preview?.decision === 'blocked') {
      onChange(`${NOT_READY}the compliance gate blocks this request; change the answers as the failed checks say.`);
    } else if (preview) onChange(summarise(preview));
  }, [state.loading, state.error, incomplete, stoppedBy, preview, onChange]);

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
        {stoppedBy && !state.loading && (
          <Alert severity="error" role="alert">
            <AlertTitle>{STEPS[stoppedBy.step] ?? 'A step'} stopped the request</AlertTitle>
            {withoutActionId(stoppedBy.message)}
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
      {preview.decision === 'approval-required' && (
        <Box mt={1}>
          <Alert severity="info">
            Create files the approval request with Compliance and stops there: nothing is published until it is
            approved. You are notified of the decision; then run the blueprint again with the same answers.
          </Alert>
        </Box>
      )}
      {preview.decision === 'blocked' && (
        <Box mt={1}>
          <Alert severity="warning">
            This request cannot be created as it stands: change the answers on the earlier pages as the failed checks
            say, then check again.
          </Alert>
        </Box>
      )}
    </>
  );
}
