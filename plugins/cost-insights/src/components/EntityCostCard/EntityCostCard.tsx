import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import {
  COST_ANNOTATIONS,
  EntityCostSummary,
} from '@internal/plugin-cost-insights-common';
import { Box, Typography, makeStyles } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { Area, AreaChart, ResponsiveContainer, Tooltip, YAxis } from 'recharts';
import useAsync from 'react-use/esm/useAsync';
import { costApiRef } from '../../api';
import {
  BudgetBar,
  ChangeChip,
  Stat,
  formatCurrency,
  formatDay,
  formatMonth,
} from '../shared';

const useStyles = makeStyles(theme => ({
  // CSS grid rather than MUI's Grid: its negative margins get clipped by the card's overflow.
  figures: {
    display: 'grid',
    gridTemplateColumns: '1fr 1fr',
    gap: theme.spacing(2),
  },
  wide: { gridColumn: '1 / -1' },
  sparkline: { marginTop: theme.spacing(1) },
}));

/** Whether an entity carries any cost annotation (then the card shows even before any cost arrives). */
function hasCostAnnotations(annotations: Record<string, string> = {}): boolean {
  return [
    COST_ANNOTATIONS.costTags,
    COST_ANNOTATIONS.monthlyBudget,
    COST_ANNOTATIONS.costCenter,
  ].some(a => annotations[a] !== undefined);
}

function Summary({ summary }: { summary: EntityCostSummary }) {
  const classes = useStyles();
  const { currency, forecast, budget } = summary;
  return (
    <>
      <div className={classes.figures}>
        <div>
          <Stat
            label="Month to date"
            value={formatCurrency(summary.monthToDate, currency)}
            amount={summary.monthToDate}
            large
            detail={
              <Typography variant="caption" color="textSecondary">
                {formatMonth(forecast.month)}, to{' '}
                {formatDay(summary.lastCompleteBillingDate)}
              </Typography>
            }
          />
        </div>
        <div>
          <Stat
            label="Forecast month end"
            value={formatCurrency(forecast.monthEnd.amount, currency)}
            amount={forecast.monthEnd.amount}
            large
            detail={
              <Typography variant="caption" color="textSecondary">
                {Math.round(forecast.confidence * 100)}% between{' '}
                {formatCurrency(forecast.monthEnd.lower, currency)} and{' '}
                {formatCurrency(forecast.monthEnd.upper, currency)}
              </Typography>
            }
          />
        </div>
        <div className={classes.wide}>
          <Box
            display="flex"
            alignItems="center"
            justifyContent="space-between"
          >
            <Stat
              label="Last 30 days"
              value={formatCurrency(summary.last30DaysTotal, currency)}
              amount={summary.last30DaysTotal}
            />
            <ChangeChip
              change={summary.change}
              currency={currency}
              label="vs 30 days before"
            />
          </Box>
          <figure
            aria-label="30-day trend"
            className={classes.sparkline}
            style={{ margin: 0 }}
          >
            <ResponsiveContainer width="100%" height={64}>
              <AreaChart data={summary.last30Days}>
                <YAxis hide domain={[0, 'auto']} />
                <Tooltip
                  labelFormatter={(_l, payload) =>
                    payload?.[0]
                      ? formatDay(String(payload[0].payload.date))
                      : ''
                  }
                  formatter={value => formatCurrency(Number(value), currency)}
                />
                <Area
                  type="monotone"
                  dataKey="amount"
                  name="Daily cost"
                  stroke="#1f77b4"
                  fill="#1f77b4"
                  fillOpacity={0.3}
                  isAnimationActive={false}
                />
              </AreaChart>
            </ResponsiveContainer>
          </figure>
        </div>
        <div className={classes.wide}>
          {budget ? (
            <BudgetBar budget={budget} />
          ) : (
            <Typography variant="body2" color="textSecondary">
              No monthly budget: add the {COST_ANNOTATIONS.monthlyBudget}{' '}
              annotation to track one.
            </Typography>
          )}
        </div>
      </div>
      {summary.problems.map(problem => (
        <Box mt={1} key={problem}>
          <Alert severity="warning">{problem}</Alert>
        </Box>
      ))}
    </>
  );
}

/**
 * The entity's cost at a glance, beside its compliance scorecard: month to date, the 30-day trend, budget burn
 * and the forecast month end. Components without cost annotations and without any cost show nothing.
 */
export function EntityCostCard() {
  const { entity } = useEntity();
  const costApi = useApi(costApiRef);
  const entityLink = useEntityRefLink();
  const entityRef = stringifyEntityRef(entity);
  const { value, loading, error } = useAsync(
    () => costApi.getEntitySummary(entityRef),
    [costApi, entityRef],
  );
  const annotated = hasCostAnnotations(entity.metadata.annotations);

  // Undeclared components appear only once they turn out to have cost (no card flashing in and out).
  const hasCost = Boolean(
    value && (value.last30DaysTotal !== 0 || value.monthToDate !== 0),
  );
  if (!annotated && !error && !hasCost) return null;
  return (
    <InfoCard
      title="Cost"
      subheader={
        value
          ? `Billing data to ${formatDay(value.lastCompleteBillingDate)}`
          : undefined
      }
      deepLink={{
        title: 'Cost details',
        link: `${entityLink(entityRef)}/cost`,
      }}
    >
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && <Summary summary={value} />}
    </InfoCard>
  );
}
