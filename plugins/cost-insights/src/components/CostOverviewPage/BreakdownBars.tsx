import { CostBreakdownRow } from '@internal/plugin-cost-insights-common';
import { useTheme } from '@material-ui/core';
import {
  Bar,
  BarChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartLegend, formatCompactCurrency, formatCurrency } from '../shared';

/** Cost per key as horizontal bars, this period against the one before. */
export function BreakdownBars(props: {
  rows: CostBreakdownRow[];
  currency: string;
  title: string;
}) {
  const theme = useTheme();
  const data = props.rows.slice(0, 10).map(r => ({
    name: r.name ?? (r.key || 'None'),
    current: r.amount,
    previous: r.previousAmount,
  }));
  return (
    <figure aria-label={props.title} style={{ margin: 0, overflow: 'hidden' }}>
      <ResponsiveContainer width="100%" height={40 + 36 * data.length}>
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis
            type="number"
            tickFormatter={v =>
              formatCompactCurrency(Number(v), props.currency)
            }
          />
          <YAxis type="category" dataKey="name" width={170} />
          <Tooltip
            formatter={value => formatCurrency(Number(value), props.currency)}
          />
          <Bar
            dataKey="previous"
            name="Period before"
            fill={theme.palette.grey[400]}
            isAnimationActive={false}
          />
          <Bar
            dataKey="current"
            name="This period"
            fill={theme.palette.primary.main}
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
      <ChartLegend
        items={[
          { name: 'Period before', color: theme.palette.grey[400] },
          { name: 'This period', color: theme.palette.primary.main },
        ]}
      />
    </figure>
  );
}
