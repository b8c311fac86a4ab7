import { ReactNode } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { Scorecard } from '@internal/plugin-compliance-common';
import { Box, Button, Typography, makeStyles } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsync from 'react-use/esm/useAsync';
import { complianceApiRef } from '../../api';
import {
  LevelBadge,
  ScoreGauge,
  SeverityChip,
  errorMessage,
  formatDateTime,
  isNotFound,
  useComplianceTabLink,
} from '../shared';

/** How many failing checks the card lists; the tab has them all. */
const TOP_FAILING = 3;

const useStyles = makeStyles(theme => ({
  summary: { display: 'flex', alignItems: 'center', gap: theme.spacing(2) },
  facts: { display: 'flex', flexDirection: 'column', gap: theme.spacing(0.75) },
  failingList: { listStyle: 'none', margin: 0, padding: 0 },
  failing: {
    padding: theme.spacing(1, 0),
    overflowWrap: 'anywhere',
    '& + &': { borderTop: `1px solid ${theme.palette.divider}` },
  },
  failingTitle: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
}));

function ScorecardSummary(props: {
  scorecard: Scorecard;
  evaluating: boolean;
  onEvaluate: () => void;
}) {
  const classes = useStyles();
  const { scorecard } = props;
  const applicable = scorecard.results.filter(
    r => r.status !== 'not_applicable',
  );
  const passing = applicable.filter(
    r => r.status === 'pass' || r.status === 'exempt',
  );
  const failing = applicable.filter(
    r => r.status === 'fail' || r.status === 'error',
  );
  // Checks awaiting the project's first CI evidence are not decided yet: the score leaves them out.
  const pending = applicable.filter(r => r.status === 'pending');
  const decided = applicable.length - pending.length;
  let outcome: ReactNode;
  if (failing.length === 0 && pending.length > 0) {
    outcome = (
      <Box mt={2}>
        <Alert severity="info">
          Every decided check passes
          {scorecard.levelProvisional
            ? `, so the level is ${scorecard.level}, provisionally`
            : ''}
          . {pending.length} check
          {pending.length === 1 ? ' waits' : 's wait'} for the project's first
          CI run (its dependency scan and tests); without that evidence
          {scorecard.nextDueAt
            ? ` by ${formatDateTime(scorecard.nextDueAt)}`
            : ''}{' '}
          {pending.length === 1 ? 'it fails' : 'they fail'}.
        </Alert>
      </Box>
    );
  } else if (failing.length === 0) {
    outcome = (
      <Box mt={2}>
        <Alert severity="success">Every applicable check passes.</Alert>
      </Box>
    );
  } else {
    outcome = (
      <Box mt={2}>
        <Typography variant="subtitle2">
          Top failing checks ({failing.length} failing)
        </Typography>
        <ul className={classes.failingList} aria-label="top failing checks">
          {failing.slice(0, TOP_FAILING).map(check => (
            <li key={check.checkId} className={classes.failing}>
              <div className={classes.failingTitle}>
                <SeverityChip severity={check.severity} />
                <Typography variant="body2">{check.title}</Typography>
              </div>
              <Typography variant="caption" color="textSecondary" component="p">
                Fix: {check.remediation}
              </Typography>
            </li>
          ))}
        </ul>
      </Box>
    );
  }

  return (
    <>
      <div className={classes.summary}>
        <ScoreGauge score={scorecard.score} />
        <div className={classes.facts}>
          <Box>
            <LevelBadge
              level={scorecard.level}
              provisional={scorecard.levelProvisional}
            />
          </Box>
          <Typography variant="body2">
            {passing.length} of {decided} decided checks pass
          </Typography>
          {pending.length > 0 && (
            <Typography variant="body2">
              {pending.length} pending: awaiting CI evidence
              {scorecard.nextDueAt
                ? ` until ${formatDateTime(scorecard.nextDueAt)}`
                : ''}
            </Typography>
          )}
          <Typography variant="caption" color="textSecondary">
            Evaluated {formatDateTime(scorecard.evaluatedAt)}
          </Typography>
          <Box>
            <Button
              size="small"
              variant="outlined"
              color="primary"
              disabled={props.evaluating}
              onClick={props.onEvaluate}
            >
              {props.evaluating ? 'Evaluating…' : 'Evaluate now'}
            </Button>
          </Box>
        </div>
      </div>
      {outcome}
    </>
  );
}

/** The entity's compliance at a glance: score, level, the top failing checks with their fix. */
export function EntityComplianceCard() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(complianceApiRef);
  const tabLink = useComplianceTabLink();
  const scorecard = useAsync(
    () => api.getScorecard(entityRef),
    [api, entityRef],
  );
  // Evaluating returns the fresh scorecard, which then replaces the one loaded first.
  const [evaluation, evaluate] = useAsyncFn(
    () => api.evaluateNow(entityRef),
    [api, entityRef],
  );
  const current = evaluation.value ?? scorecard.value;

  let content: JSX.Element;
  if (current) {
    content = (
      <ScorecardSummary
        scorecard={current}
        evaluating={evaluation.loading}
        onEvaluate={() => evaluate()}
      />
    );
  } else if (scorecard.loading) {
    content = <Progress />;
  } else if (isNotFound(scorecard.error)) {
    content = (
      <>
        <Typography variant="body2" paragraph>
          This entity has not been evaluated yet. Forge evaluates every entity
          on a schedule; you can evaluate it now.
        </Typography>
        <Button
          variant="outlined"
          color="primary"
          size="small"
          disabled={evaluation.loading}
          onClick={() => evaluate()}
        >
          {evaluation.loading ? 'Evaluating…' : 'Evaluate now'}
        </Button>
      </>
    );
  } else {
    content = (
      <ResponseErrorPanel
        error={scorecard.error ?? new Error('No scorecard')}
      />
    );
  }

  return (
    <InfoCard
      title="Compliance"
      subheader="SOC 2 and NIST 800-53 checks"
      deepLink={{
        title: 'All checks, history and exemptions',
        link: tabLink(entityRef),
      }}
    >
      {evaluation.error && (
        <Box mb={2}>
          <Alert severity="error">
            Evaluation failed: {errorMessage(evaluation.error)}
          </Alert>
        </Box>
      )}
      {content}
    </InfoCard>
  );
}
