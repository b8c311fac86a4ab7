import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useEntityPermission } from '@backstage/plugin-catalog-react/alpha';
import {
  complianceExemptionRequestPermission,
  type ScorecardCheck,
} from '@internal/plugin-compliance-common';
import {
  Box,
  Button,
  Grid,
  TextField,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useMemo, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { complianceApiRef } from '../../api';
import { ExemptionRequestDialog } from '../ExemptionRequestForm';
import {
  LevelBadge,
  ScoreGauge,
  endOfDayIso,
  errorMessage,
  formatDate,
  formatDateTime,
  isNotFound,
  toDateInputValue,
} from '../shared';
import { ChecksByFamily } from './ChecksByFamily';
import { EntityExemptions } from './EntityExemptions';
import { HistoryTimeline } from './HistoryTimeline';

const useStyles = makeStyles(theme => ({
  header: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(3),
    flexWrap: 'wrap',
  },
  facts: { display: 'flex', flexDirection: 'column', gap: theme.spacing(0.75) },
  spacer: { flexGrow: 1 },
  asOf: { display: 'flex', alignItems: 'center', gap: theme.spacing(1) },
}));

/**
 * The entity's Compliance tab: every check by control family, the history, and the exemptions, now or as of a
 * past date.
 */
export function EntityComplianceContent() {
  const classes = useStyles();
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(complianceApiRef);
  const canRequest = useEntityPermission(complianceExemptionRequestPermission);

  /** `YYYY-MM-DD`, or '' for now. */
  const [asOfDay, setAsOfDay] = useState('');
  const asOf = asOfDay ? endOfDayIso(asOfDay) : undefined;
  const scorecard = useAsyncRetry(
    () => api.getScorecard(entityRef, { asOf }),
    [api, entityRef, asOf],
  );
  const exemptions = useAsyncRetry(
    () => api.listExemptions({ entityRef }),
    [api, entityRef],
  );
  const [evaluation, evaluate] = useAsyncFn(async () => {
    const fresh = await api.evaluateNow(entityRef);
    scorecard.retry();
    return fresh;
  }, [api, entityRef, scorecard.retry]);

  const [requestFor, setRequestFor] = useState<{ checkId?: string }>();
  const [requested, setRequested] = useState<string>();

  const current = scorecard.value;
  const titles = useMemo(
    () => new Map((current?.results ?? []).map(r => [r.checkId, r.title])),
    [current],
  );
  const failing = useMemo(
    () =>
      (current?.results ?? []).filter(
        r => r.status === 'fail' || r.status === 'error',
      ),
    [current],
  );
  const pendingCheckIds = useMemo(
    () =>
      new Set(
        (exemptions.value ?? [])
          .filter(e => e.status === 'pending')
          .map(e => e.checkId),
      ),
    [exemptions.value],
  );
  const requestable = failing.filter(c => !pendingCheckIds.has(c.checkId));
  const mayRequest = canRequest.allowed && !asOf;
  const onRequestExemption = mayRequest
    ? (check: ScorecardCheck) => setRequestFor({ checkId: check.checkId })
    : undefined;

  let checks: JSX.Element;
  if (scorecard.loading && !current) {
    checks = <Progress />;
  } else if (scorecard.error && isNotFound(scorecard.error)) {
    checks = (
      <Alert severity="info">
        {asOf
          ? `There are no results for this entity on or before ${formatDate(
              asOf,
            )}.`
          : 'This entity has not been evaluated yet. Evaluate it now, or wait for the scheduled evaluation.'}
      </Alert>
    );
  } else if (scorecard.error) {
    checks = <ResponseErrorPanel error={scorecard.error} />;
  } else {
    checks = (
      <ChecksByFamily
        scorecard={current!}
        pendingCheckIds={pendingCheckIds}
        onRequestExemption={onRequestExemption}
      />
    );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard>
          <div className={classes.header}>
            {current && !scorecard.error && (
              <>
                <ScoreGauge score={current.score} size={96} />
                <div className={classes.facts}>
                  <Box>
                    <LevelBadge
                      level={current.level}
                      provisional={current.levelProvisional}
                    />
                  </Box>
                  <Typography variant="body2">
                    {failing.length === 0
                      ? 'No check fails'
                      : `${failing.length} ${
                          failing.length === 1 ? 'check' : 'checks'
                        } failing`}
                  </Typography>
                  <Typography variant="caption" color="textSecondary">
                    {current.asOf
                      ? `As of ${formatDateTime(
                          current.asOf,
                        )}, last change ${formatDateTime(current.evaluatedAt)}`
                      : `Evaluated ${formatDateTime(current.evaluatedAt)}`}
                  </Typography>
                </div>
              </>
            )}
            <span className={classes.spacer} />
            <div className={classes.asOf}>
              <TextField
                id="compliance-as-of"
                label="As of"
                type="date"
                size="small"
                variant="outlined"
                value={asOfDay}
                onChange={e => setAsOfDay(e.target.value)}
                InputLabelProps={{ shrink: true }}
                inputProps={{
                  max: toDateInputValue(new Date()),
                  'aria-label': 'as of date',
                }}
                helperText={
                  asOf ? 'Rebuilt from the history' : 'Leave empty for now'
                }
              />
              {asOf && (
                <Button size="small" onClick={() => setAsOfDay('')}>
                  Now
                </Button>
              )}
            </div>
            {!asOf && (
              <Button
                variant="outlined"
                color="primary"
                disabled={evaluation.loading}
                onClick={() => evaluate()}
              >
                {evaluation.loading ? 'Evaluating…' : 'Evaluate now'}
              </Button>
            )}
          </div>
          {evaluation.error && (
            <Box mt={2}>
              <Alert severity="error">
                Evaluation failed: {errorMessage(evaluation.error)}
              </Alert>
            </Box>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard
          title="Checks by control family"
          subheader="SOC 2 trust services criteria and NIST 800-53 rev. 5"
        >
          {checks}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        {requested && (
          <Box mb={2}>
            <Alert severity="success" onClose={() => setRequested(undefined)}>
              {requested}
            </Alert>
          </Box>
        )}
        <EntityExemptions
          exemptions={exemptions.value}
          loading={exemptions.loading}
          error={exemptions.error}
          titles={titles}
          action={
            mayRequest && requestable.length > 0 ? (
              <Button
                color="primary"
                variant="contained"
                onClick={() => setRequestFor({})}
              >
                Request an exemption
              </Button>
            ) : undefined
          }
        />
      </Grid>
      <Grid item xs={12}>
        <HistoryTimeline
          entityRef={entityRef}
          titles={titles}
          reloadKey={current?.evaluatedAt}
        />
      </Grid>
      <ExemptionRequestDialog
        open={!!requestFor}
        entityRef={entityRef}
        checks={requestable}
        checkId={requestFor?.checkId}
        onClose={() => setRequestFor(undefined)}
        onRequested={exemption => {
          setRequestFor(undefined);
          setRequested(
            `Exemption requested for ${
              titles.get(exemption.checkId) ?? exemption.checkId
            }; compliance has been notified.`,
          );
          exemptions.retry();
        }}
      />
    </Grid>
  );
}
