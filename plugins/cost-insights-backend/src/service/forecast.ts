import {
  addDays,
  DateAggregation,
  dayOfWeek,
  ForecastValue,
} from '@internal/plugin-cost-insights-common';
import { median } from './stats';

/** How Forge forecasts, in the words the API returns. */
export const FORECAST_METHOD =
  'Least-squares linear trend with day-of-week effects over the last 56 days (spikes damped), ' +
  'prediction interval from the residual spread';

/** Days of history the model is fitted on. */
export const FORECAST_HISTORY_DAYS = 56;

/** z for a two-sided 80% interval. */
const Z_80 = 1.2816;

export type DailyForecast = DateAggregation & { lower: number; upper: number };

/** A fitted model: the daily forecasts and the interval of any sum of them. */
export type Forecast = {
  method: string;
  confidence: number;
  historyDays: number;
  daily: DailyForecast[];
  /** The forecast total of the first `days` days, with its interval. */
  total(days: number): ForecastValue;
};

type Fit = {
  intercept: number;
  slope: number;
  weekday: number[];
  sigma: number;
  n: number;
  meanT: number;
  sxx: number;
};

/** Trend by least squares on the series minus its day-of-week effects, the effects from what the trend leaves. */
function fitModel(ys: number[], weekdays: number[]): Fit {
  const n = ys.length;
  const ts = ys.map((_, i) => i);
  const meanT = (n - 1) / 2;
  const sxx = ts.reduce((s, t) => s + (t - meanT) ** 2, 0);
  let weekday = new Array(7).fill(0);
  let intercept = 0;
  let slope = 0;
  const useWeekdays = n >= 14;
  for (let iteration = 0; iteration < 3; iteration++) {
    let meanY = 0;
    for (let i = 0; i < n; i++) meanY += (ys[i] - weekday[weekdays[i]]) / n;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      sxy += (ts[i] - meanT) * (ys[i] - weekday[weekdays[i]] - meanY);
    }
    slope = sxx === 0 ? 0 : sxy / sxx;
    intercept = meanY - slope * meanT;
    if (!useWeekdays) break;
    const sums = new Array(7).fill(0);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < n; i++) {
      sums[weekdays[i]] += ys[i] - (intercept + slope * ts[i]);
      counts[weekdays[i]] += 1;
    }
    const effects = sums.map((s, d) => (counts[d] ? s / counts[d] : 0));
    const mean = effects.reduce((s, e) => s + e, 0) / 7;
    weekday = effects.map(e => e - mean);
  }
  const params = 2 + (useWeekdays ? 6 : 0);
  const sse = ys.reduce(
    (s, y, i) =>
      s + (y - (intercept + slope * ts[i] + weekday[weekdays[i]])) ** 2,
    0,
  );
  const sigma = n > params ? Math.sqrt(sse / (n - params)) : stdDev(ys);
  return { intercept, slope, weekday, sigma, n, meanT, sxx };
}

/**
 * Replaces one-off spikes by the median of the same weekday in the three weeks around them: a day more than six
 * robust standard deviations above that median and half as high again as the highest of those days. Comparing
 * like weekdays keeps a weekly rhythm (training every Monday) intact; only rises are damped, dips are real.
 */
function despike(ys: number[], weekdays: number[]): number[] {
  if (ys.length < 14) return ys;
  const weekdayMedian = new Map<number, number>();
  for (let w = 0; w < 7; w++) {
    weekdayMedian.set(w, median(ys.filter((_, i) => weekdays[i] === w)));
  }
  const scale = Math.max(
    1.4826 *
      median(ys.map((y, i) => Math.abs(y - weekdayMedian.get(weekdays[i])!))),
    0.05 * median(ys.map(Math.abs)),
  );
  if (scale <= 0) return ys;
  return ys.map((y, i) => {
    const same = ys.filter(
      (_, j) => j !== i && weekdays[j] === weekdays[i] && Math.abs(j - i) <= 21,
    );
    if (same.length < 2) return y;
    const local = median(same);
    return y - local > 6 * scale && y > 1.5 * Math.max(...same) ? local : y;
  });
}

function stdDev(ys: number[]): number {
  if (ys.length < 2) return 0;
  const mean = ys.reduce((s, y) => s + y, 0) / ys.length;
  return Math.sqrt(
    ys.reduce((s, y) => s + (y - mean) ** 2, 0) / (ys.length - 1),
  );
}

/**
 * Forecasts a daily cost series `horizonDays` ahead of its last day. The history is the contiguous series ending
 * on the last complete billing day (missing days are zero). One-off spikes are damped before fitting (see
 * `despike`), so an anomaly does not bend the forecast. Amounts and bounds are never negative.
 */
export function forecastDailyCost(
  history: DateAggregation[],
  horizonDays: number,
): Forecast {
  const recent = history.slice(-FORECAST_HISTORY_DAYS);
  const n = recent.length;
  const lastDay = n ? recent[n - 1].date : undefined;
  const ys = recent.map(h => h.amount);
  const weekdays = recent.map(h => dayOfWeek(h.date));

  const fit = fitModel(
    ys.length ? despike(ys, weekdays) : [0],
    weekdays.length ? weekdays : [0],
  );

  const start = lastDay ? addDays(lastDay, 1) : undefined;
  const daily: DailyForecast[] = [];
  for (let h = 0; h < horizonDays; h++) {
    const t = n - 1 + 1 + h;
    const date = start ? addDays(start, h) : `+${h + 1}`;
    const weekday = start ? dayOfWeek(date) : 0;
    const amount = Math.max(
      0,
      fit.intercept + fit.slope * t + fit.weekday[weekday],
    );
    const spread =
      Z_80 *
      fit.sigma *
      Math.sqrt(
        1 +
          1 / Math.max(fit.n, 1) +
          (fit.sxx ? (t - fit.meanT) ** 2 / fit.sxx : 0),
      );
    daily.push({
      date,
      amount,
      lower: Math.max(0, amount - spread),
      upper: amount + spread,
    });
  }

  return {
    method: FORECAST_METHOD,
    confidence: 0.8,
    historyDays: n,
    daily,
    total(days: number): ForecastValue {
      const part = daily.slice(0, days);
      if (part.length === 0) return { amount: 0, lower: 0, upper: 0 };
      const amount = part.reduce((s, d) => s + d.amount, 0);
      // Day-to-day noise adds up independently; the error in the fitted level and trend counts once per day.
      const h = part.length;
      const sumDeviation = part.reduce(
        (s, _d, i) => s + (n + i - fit.meanT),
        0,
      );
      const variance =
        fit.sigma ** 2 *
        (h +
          (h * h) / Math.max(fit.n, 1) +
          (fit.sxx ? sumDeviation ** 2 / fit.sxx : 0));
      const spread = Z_80 * Math.sqrt(variance);
      return {
        amount,
        lower: Math.max(0, amount - spread),
        upper: amount + spread,
      };
    },
  };
}
