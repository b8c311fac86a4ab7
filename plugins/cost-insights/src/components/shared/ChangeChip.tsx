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
    color: theme.palette.success.dark,
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
