import {
  CostForecast,
  DateAggregation,
} from '@internal/plugin-cost-insights-common';
import { useTheme } from '@material-ui/core';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartLegend } from './ChartLegend';
import { formatCompactCurrency, formatCurrency, formatDay } from './format';

/**
 * Daily actual cost, then the forecast with its interval as a band. With `mode="month"`, the cumulative
 * cost of the month against the budget instead: where the month is heading, and where it should stop.
 */
export function ForecastChart(props: {
  history: DateAggregation[];
  forecast: CostForecast;
  currency: string;
  title: string;
  mode?: 'daily' | 'month';
  budget?: number;
  height?: number;
  forecastDays?: number;
}) {
  const theme = useTheme();
  const { forecast, currency } = props;
  type Point = {
    date: string;
    actual?: number;
    forecast?: number;
    interval?: [number, number];
  };
  let data: Point[];
  if (props.mode === 'month') {
    const monthStart = `${forecast.month}-01`;
    let cumulative = 0;
    data = props.history
      .filter(d => d.date >= monthStart && d.date <= forecast.asOf)
      .map(d => {
        cumulative += d.amount;
        return { date: d.date, actual: cumulative };
      });
    const last = data[data.length - 1];
    if (last) {
      last.forecast = last.actual;
      last.interval = [last.actual!, last.actual!];
    }
    let mid = cumulative;
    let low = cumulative;
    let high = cumulative;
    for (const d of forecast.daily) {
      if (d.date.slice(0, 7) !== forecast.month) break;
      mid += d.amount;
      low += d.lower;
      high += d.upper;
      data.push({ date: d.date, forecast: mid, interval: [low, high] });
    }
  } else {
    data = props.history.map(d => ({ date: d.date, actual: d.amount }));
    const last = data[data.length - 1];
    if (last) {
      last.forecast = last.actual;
      last.interval = [last.actual!, last.actual!];
    }
    for (const d of forecast.daily.slice(0, props.forecastDays ?? 30)) {
      data.push({
        date: d.date,
        forecast: d.amount,
        interval: [d.lower, d.upper],
      });
    }
  }
  const intervalName = `${Math.round(forecast.confidence * 100)}% interval`;
  return (
    <figure aria-label={props.title} style={{ margin: 0, overflow: 'hidden' }}>
      <ResponsiveContainer width="100%" height={props.height ?? 280}>
        <ComposedChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis dataKey="date" tickFormatter={formatDay} minTickGap={24} />
          <YAxis
            tickFormatter={v => formatCompactCurrency(Number(v), currency)}
            width={64}
          />
          <Tooltip
            labelFormatter={label => formatDay(String(label))}
            formatter={value =>
              Array.isArray(value)
                ? `${formatCurrency(
                    Number(value[0]),
                    currency,
                  )} – ${formatCurrency(Number(value[1]), currency)}`
                : formatCurrency(Number(value), currency)
            }
          />
          <Area
            dataKey="interval"
            name={intervalName}
            stroke="none"
            fill={theme.palette.primary.light}
            fillOpacity={0.25}
            isAnimationActive={false}
          />
          <Line
            dataKey="actual"
            name="Actual"
            stroke={theme.palette.primary.main}
            dot={false}
            strokeWidth={2}
            isAnimationActive={false}
          />
          <Line
            dataKey="forecast"
            name="Forecast"
            stroke={theme.palette.primary.main}
            strokeDasharray="6 4"
            dot={false}
            strokeWidth={2}
            isAnimationActive={false}
          />
          {props.budget !== undefined && (
            <ReferenceLine
              y={props.budget}
              ifOverflow="extendDomain"
              stroke={theme.palette.error.main}
              strokeDasharray="4 4"
              label={{
                value: 'Budget',
                position: 'insideTopLeft',
                fill: theme.palette.error.main,
              }}
            />
          )}
        </ComposedChart>
      </ResponsiveContainer>
      <ChartLegend
        items={[
          { name: intervalName, color: theme.palette.primary.light },
          { name: 'Actual', color: theme.palette.primary.main, line: 'solid' },
          {
            name: 'Forecast',
            color: theme.palette.primary.main,
            line: 'dashed',
          },
        ]}
      />
    </figure>
  );
}
