import { useApi } from '@backstage/frontend-plugin-api';
import type {
  Exemption,
  ScorecardCheck,
} from '@internal/plugin-compliance-common';
import {
  Box,
  Button,
  MenuItem,
  TextField,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { FormEvent, useMemo, useState } from 'react';
import { complianceApiRef } from '../../api';
import {
  dayAfter,
  endOfDayIso,
  errorMessage,
  formatDate,
  latestExpiryDay,
  toDateInputValue,
  useMaxExemptionDays,
} from '../shared';

/** The same minimum lengths the backend enforces, so the form says what is missing before sending. */
const MIN_JUSTIFICATION = 20;
const MIN_COMPENSATING_CONTROL = 10;
/** A default expiry that makes people come back to it: 90 days, or less when the maximum is shorter. */
const DEFAULT_DAYS = 90;

const useStyles = makeStyles(theme => ({
  form: { display: 'flex', flexDirection: 'column', gap: theme.spacing(2) },
  actions: {
    display: 'flex',
    gap: theme.spacing(1),
    justifyContent: 'flex-end',
  },
}));

export interface ExemptionRequestFormProps {
  entityRef: string;
  /** The failing checks an exemption can be requested for. */
  checks: ScorecardCheck[];
  /** Preselected check. */
  checkId?: string;
  onRequested: (exemption: Exemption) => void;
  onCancel?: () => void;
}

/**
 * Asks compliance to accept a failing check for a while: why the risk is acceptable, what reduces it meanwhile,
 * and until when (no later than the backend's maximum).
 */
export function ExemptionRequestForm(props: ExemptionRequestFormProps) {
  const classes = useStyles();
  const api = useApi(complianceApiRef);
  const maxDays = useMaxExemptionDays();
  const { today, latest } = useMemo(() => {
    const now = new Date();
    return {
      today: toDateInputValue(now),
      latest: latestExpiryDay(now, maxDays),
    };
  }, [maxDays]);

  const [checkId, setCheckId] = useState(
    props.checkId ?? props.checks[0]?.checkId ?? '',
  );
  const [justification, setJustification] = useState('');
  const [compensatingControl, setCompensatingControl] = useState('');
  const [expiresOn, setExpiresOn] = useState(() =>
    dayAfter(new Date(), Math.min(DEFAULT_DAYS, maxDays - 1)),
  );
  const [touched, setTouched] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();

  const problems = {
    checkId: checkId ? undefined : 'Choose the failing check to exempt',
    justification:
      justification.trim().length >= MIN_JUSTIFICATION
        ? undefined
        : `Explain in at least ${MIN_JUSTIFICATION} characters why the risk is acceptable`,
    compensatingControl:
      compensatingControl.trim().length >= MIN_COMPENSATING_CONTROL
        ? undefined
        : `Name the control that reduces the risk meanwhile (at least ${MIN_COMPENSATING_CONTROL} characters)`,
    expiresOn:
      expiresOn && expiresOn >= today && expiresOn <= latest
        ? undefined
        : `Choose a date from today to ${formatDate(
            endOfDayIso(latest),
          )} (at most ${maxDays} days)`,
  };
  const valid = Object.values(problems).every(p => !p);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (!valid) return;
    setSubmitting(true);
    setError(undefined);
    try {
      const exemption = await api.requestExemption({
        entityRef: props.entityRef,
        checkId,
        justification: justification.trim(),
        compensatingControl: compensatingControl.trim(),
        expiresAt: endOfDayIso(expiresOn),
      });
      props.onRequested(exemption);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSubmitting(false);
    }
  }

  const show = (problem: string | undefined) => (touched ? problem : undefined);

  if (props.checks.length === 0) {
    return (
      <Typography variant="body2">
        No check of this entity fails, so there is nothing to request an
        exemption for.
      </Typography>
    );
  }

  return (
    <form
      className={classes.form}
      onSubmit={submit}
      noValidate
      aria-label="exemption request"
    >
      <TextField
        id="exemption-check"
        select
        label="Failing check"
        value={checkId}
        onChange={e => setCheckId(e.target.value)}
        error={!!show(problems.checkId)}
        helperText={show(problems.checkId)}
        variant="outlined"
      >
        {props.checks.map(check => (
          <MenuItem key={check.checkId} value={check.checkId}>
            {check.title} ({check.checkId})
          </MenuItem>
        ))}
      </TextField>
      <TextField
        id="exemption-justification"
        label="Justification"
        multiline
        minRows={3}
        value={justification}
        onChange={e => setJustification(e.target.value)}
        error={!!show(problems.justification)}
        helperText={
          show(problems.justification) ??
          'Why is the risk acceptable for now, and what is the plan to fix the check?'
        }
        variant="outlined"
        required
      />
      <TextField
        id="exemption-compensating-control"
        label="Compensating control"
        multiline
        minRows={2}
        value={compensatingControl}
        onChange={e => setCompensatingControl(e.target.value)}
        error={!!show(problems.compensatingControl)}
        helperText={
          show(problems.compensatingControl) ??
          'What reduces the risk meanwhile, e.g. a manual weekly review or a network restriction'
        }
        variant="outlined"
        required
      />
      <TextField
        id="exemption-expires-on"
        label="Expires on"
        type="date"
        value={expiresOn}
        onChange={e => setExpiresOn(e.target.value)}
        error={!!show(problems.expiresOn)}
        helperText={
          show(problems.expiresOn) ??
          `At the end of this day the check counts as failing again. At most ${maxDays} days (latest ${formatDate(
            endOfDayIso(latest),
          )}).`
        }
        variant="outlined"
        InputLabelProps={{ shrink: true }}
        inputProps={{ min: today, max: latest }}
        required
      />
      {error && <Alert severity="error">{error}</Alert>}
      <Box className={classes.actions}>
        {props.onCancel && (
          <Button onClick={props.onCancel} disabled={submitting}>
            Cancel
          </Button>
        )}
        <Button
          type="submit"
          color="primary"
          variant="contained"
          disabled={submitting}
        >
          {submitting ? 'Sending…' : 'Request exemption'}
        </Button>
      </Box>
    </form>
  );
}
