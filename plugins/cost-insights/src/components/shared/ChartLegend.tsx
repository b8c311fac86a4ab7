import { makeStyles } from '@material-ui/core';

/** One entry of a chart's legend: a series' name and how it is drawn. */
export type LegendItem = {
  name: string;
  color: string;
  /** A line (solid or dashed) rather than a filled area or bar. */
  line?: 'solid' | 'dashed';
};

const useStyles = makeStyles(theme => ({
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    justifyContent: 'center',
    gap: theme.spacing(0.5, 2),
    listStyle: 'none',
    margin: theme.spacing(1, 0, 0),
    padding: 0,
    ...theme.typography.body2,
  },
  item: { display: 'flex', alignItems: 'center', gap: theme.spacing(0.75) },
  swatch: { width: 12, height: 12, flex: 'none', borderRadius: 2 },
  line: { width: 18, height: 0, flex: 'none', borderTopWidth: 2 },
}));

/**
 * A chart's legend as HTML below the chart, in the page's flow. Recharts' own legend is positioned over the chart
 * and measured after it is drawn: while a window is resized, or when its entries wrap onto more lines on a narrow
 * screen, it covered the x axis' dates. Here it takes the lines it needs and the chart keeps its own height.
 */
export function ChartLegend(props: { items: LegendItem[] }) {
  const classes = useStyles();
  return (
    <ul className={classes.legend} data-chart-legend>
      {props.items.map(item => (
        <li key={item.name} className={classes.item}>
          {item.line ? (
            <span
              aria-hidden
              className={classes.line}
              style={{ borderTopStyle: item.line, borderColor: item.color }}
            />
          ) : (
            <span
              aria-hidden
              className={classes.swatch}
              style={{ background: item.color }}
            />
          )}
          {item.name}
        </li>
      ))}
    </ul>
  );
}
