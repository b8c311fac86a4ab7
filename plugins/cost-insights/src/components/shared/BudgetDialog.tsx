import { useApi } from '@backstage/frontend-plugin-api';
import { Budget } from '@internal/plugin-cost-insights-common';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useState } from 'react';
import { costApiRef } from '../../api';
import { errorMessage } from './errors';

/** Sets or removes the monthly budget of a group or entity in Forge (permitted users only). */
export function BudgetDialog(props: {
  open: boolean;
  entityRef: string;
  name: string;
  current?: Budget;
  onClose: (changed: boolean) => void;
}) {
  const costApi = useApi(costApiRef);
  const [amount, setAmount] = useState(
    props.current ? String(props.current.monthlyAmount) : '',
  );
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const value = Number(amount);
  const valid = amount.trim() !== '' && Number.isFinite(value) && value > 0;

  const run = async (change: () => Promise<unknown>) => {
    setSaving(true);
    setError(undefined);
    try {
      await change();
      props.onClose(true);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Dialog
      open={props.open}
      onClose={() => props.onClose(false)}
      aria-labelledby="budget-dialog-title"
    >
      <DialogTitle id="budget-dialog-title">
        Monthly budget of {props.name}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" paragraph>
          A budget set here takes precedence over the forge.io/monthly-budget
          annotation until it is removed. The owning team is notified at each
          threshold and when the forecast goes over.
        </Typography>
        <TextField
          id="monthly-budget"
          label={`Monthly budget (${
            props.current?.currency ?? 'billing currency'
          })`}
          type="number"
          value={amount}
          onChange={e => setAmount(e.target.value)}
          error={amount !== '' && !valid}
          helperText={amount !== '' && !valid ? 'Enter an amount above 0' : ' '}
          inputProps={{ min: 0, step: 100 }}
          fullWidth
        />
        {error && <Alert severity="error">{error}</Alert>}
      </DialogContent>
      <DialogActions>
        {props.current?.source === 'forge' && (
          <Button
            disabled={saving}
            onClick={() => run(() => costApi.deleteBudget(props.entityRef))}
          >
            Remove Forge budget
          </Button>
        )}
        <Button onClick={() => props.onClose(false)}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!valid || saving}
          onClick={() => run(() => costApi.setBudget(props.entityRef, value))}
        >
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}
