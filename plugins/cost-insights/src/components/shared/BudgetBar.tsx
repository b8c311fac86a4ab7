import { BudgetStatus } from '@internal/plugin-cost-insights-common';
import { Box, LinearProgress, Typography, makeStyles } from '@material-ui/core';
import { formatCurrency, formatPercent } from './format';

const useStyles = makeStyles(theme => ({
  track: { position: 'relative', height: 10, borderRadius: 5 },
  bar: { height: 10, borderRadius: 5 },
  ok: { backgroundColor: theme.palette.success.main },
  warn: { backgroundColor: theme.palette.warning.main },
  over: { backgroundColor: theme.palette.error.main },
  forecast: {
    position: 'absolute',
    top: -3,
    width: 2,
    height: 16,
    backgroundColor: theme.palette.text.primary,
  },
}));

/** How much of a month's budget is spent, with a tick where the month is forecast to end. */
export function BudgetBar(props: { budget: BudgetStatus }) {
  const classes = useStyles();
  const { budget } = props;
  const used = Math.min(100, budget.usedRatio * 100);
  const forecastAt = Math.min(100, budget.forecastRatio * 100);
  let tone = classes.ok;
  if (budget.forecastRatio > 1) tone = classes.warn;
  if (budget.usedRatio >= 1) tone = classes.over;
  return (
    <Box>
      <Box display="flex" justifyContent="space-between" mb={0.5}>
        <Typography variant="body2">
          {formatPercent(budget.usedRatio)} of{' '}
          {formatCurrency(budget.monthlyAmount, budget.currency)} used
        </Typography>
        <Typography variant="body2" color="textSecondary">
          forecast {formatPercent(budget.forecastRatio)}
        </Typography>
      </Box>
      <Box className={classes.track}>
        <LinearProgress
          variant="determinate"
          value={used}
          aria-label={`budget used ${formatPercent(budget.usedRatio)}`}
          classes={{ root: classes.bar, bar: tone }}
        />
        <span
          className={classes.forecast}
          style={{ left: `calc(${forecastAt}% - 1px)` }}
          title={`Forecast month end: ${formatPercent(
            budget.forecastRatio,
          )} of budget`}
        />
      </Box>
      <Typography variant="caption" color="textSecondary">
        {budget.source === 'catalog'
          ? 'Budget from forge.io/monthly-budget'
          : `Budget set in Forge${
              budget.updatedBy ? ` by ${budget.updatedBy}` : ''
            }`}
      </Typography>
    </Box>
  );
}
