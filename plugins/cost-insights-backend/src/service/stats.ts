import {
  ChangeStatistic,
  DateAggregation,
  eachDay,
  Trendline,
} from '@internal/plugin-cost-insights-common';

/** Change from `previous` to `current`; no ratio when there was nothing before (it would be infinite). */
export function changeOf(previous: number, current: number): ChangeStatistic {
  const amount = current - previous;
  return previous > 0 ? { ratio: amount / previous, amount } : { amount };
}

/** Least-squares line through a daily series, x being the day in Unix seconds as Cost Insights expects. */
export function trendlineOf(aggregation: DateAggregation[]): Trendline {
  if (aggregation.length === 0) return { slope: 0, intercept: 0 };
  const xs = aggregation.map(a => Date.parse(`${a.date}T00:00:00Z`) / 1000);
  const ys = aggregation.map(a => a.amount);
  const n = xs.length;
  const meanX = xs.reduce((s, x) => s + x, 0) / n;
  const meanY = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - meanX) ** 2;
    sxy += (xs[i] - meanX) * (ys[i] - meanY);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

/** One entry per day of the range, zero where nothing was spent. */
export function fillDays(
  amounts: Map<string, number>,
  start: string,
  endExclusive: string,
): DateAggregation[] {
  return eachDay(start, endExclusive).map(date => ({
    date,
    amount: amounts.get(date) ?? 0,
  }));
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
