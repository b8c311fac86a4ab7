import { Cost } from '@internal/plugin-cost-insights-common';
import { useTheme } from '@material-ui/core';
import {
  Area,
  AreaChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartLegend } from './ChartLegend';
import { colorOf } from './chartColors';
import {
  formatCompactCurrency,
  formatCurrency,
  formatDay,
  shortRef,
} from './format';

/** The name a series is shown under: its display name, or the entity ref's name part. */
function seriesName(cost: Cost): string {
  if (cost.name) return cost.name;
  if (cost.id === '' || cost.id === 'unattributed') return 'Unattributed';
  return cost.id.includes(':') ? shortRef(cost.id) : cost.id;
}

/**
 * Daily cost stacked by one breakdown of a Cost Insights `Cost` (entity, service, product, group), so the
 * height is the total and the bands show what it is made of.
 */
export function DailyCostChart(props: {
  cost: Cost;
  dimension: string;
  currency: string;
  height?: number;
  title: string;
}) {
  const theme = useTheme();
  const series = props.cost.groupedCosts?.[props.dimension] ?? [];
  const names = series.map(seriesName);
  const data = props.cost.aggregation.map((day, i) => {
    const point: Record<string, number | string> = { date: day.date };
    series.forEach((s, k) => {
      point[names[k]] = s.aggregation[i]?.amount ?? 0;
    });
    return point;
  });
  return (
    <figure aria-label={props.title} style={{ margin: 0, overflow: 'hidden' }}>
      <ResponsiveContainer width="100%" height={props.height ?? 320}>
        <AreaChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis dataKey="date" tickFormatter={formatDay} minTickGap={24} />
          <YAxis
            tickFormatter={v =>
              formatCompactCurrency(Number(v), props.currency)
            }
            width={64}
          />
          <Tooltip
            labelFormatter={label => formatDay(String(label))}
            formatter={value => formatCurrency(Number(value), props.currency)}
          />
          {names.map((name, k) => (
            <Area
              key={name}
              type="monotone"
              dataKey={name}
              stackId="cost"
              stroke={colorOf(k)}
              fill={colorOf(k)}
              fillOpacity={0.55}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
      <ChartLegend
        items={names.map((name, k) => ({ name, color: colorOf(k) }))}
      />
    </figure>
  );
}
