import { ChangeStatistic } from '@internal/plugin-cost-insights-common';
import { Chip, makeStyles } from '@material-ui/core';
import TrendingDownIcon from '@material-ui/icons/TrendingDown';
import TrendingUpIcon from '@material-ui/icons/TrendingUp';
import TrendingFlatIcon from '@material-ui/icons/TrendingFlat';
import { formatChange } from './format';

const useStyles = makeStyles(theme => ({
  up: {
    color: theme.palette.error.dark,
    borderColor: theme.palette.error.light,
  },
  down: {
    // The theme's success.dark (#388e3c) is 4.1:1 on white, under WCAG AA's 4.5:1 for small text.
    color:
      theme.palette.type === 'dark' ? theme.palette.success.light : '#2e7d32',
    borderColor: theme.palette.success.light,
  },
}));

/** A change in cost: rising cost in red, falling in green (for cost, down is good). */
export function ChangeChip(props: {
  change: ChangeStatistic;
  currency: string;
  label?: string;
}) {
  const classes = useStyles();
  const { change, currency } = props;
  const flat =
    Math.abs(change.ratio ?? 0) < 0.005 && change.ratio !== undefined;
  let icon = <TrendingFlatIcon />;
  let className: string | undefined;
  if (!flat && change.amount > 0) {
    icon = <TrendingUpIcon />;
    className = classes.up;
  } else if (!flat && change.amount < 0) {
    icon = <TrendingDownIcon />;
    className = classes.down;
  }
  const text = formatChange(change, currency);
  return (
    <Chip
      size="small"
      variant="outlined"
      icon={icon}
      className={className}
      label={props.label ? `${text} ${props.label}` : text}
    />
  );
}
