import {
  DateAggregation,
  dayOfWeek,
} from '@internal/plugin-cost-insights-common';
import { median } from './stats';

export type AnomalySettings = {
  baselineDays: number;
  minimumExcess: number;
  minimumScore: number;
};

export type DetectedSpike = {
  day: string;
  amount: number;
  baseline: number;
  excess: number;
  score: number;
};

/** A spike must also reach this multiple of the highest same-weekday cost of the baseline window. */
const RATIO_OVER_RECENT_PEAK = 1.5;

/**
 * Days of a daily series that spike above their trailing baseline. The baseline of a day is the median of the
 * same weekday over the `baselineDays` before it, so a weekly rhythm (training on Mondays, quiet weekends) is
 * not a spike; the yardstick is the median absolute deviation of the window from those weekday medians (robust
 * to earlier spikes, unlike a mean and standard deviation), floored at 5% of the baseline so a wobble on a
 * constant cost is not one. A spike must exceed the baseline by `minimumExcess`, reach `minimumScore` robust
 * standard deviations, and be half as high again as the highest same weekday in the window (steady growth is
 * a trend, not a spike). Only days from `checkFrom` are judged, and only with at least 7 days of baseline.
 */
export function detectSpikes(
  series: DateAggregation[],
  checkFrom: string,
  settings: AnomalySettings,
): DetectedSpike[] {
  const weekdays = series.map(p => dayOfWeek(p.date));
  const spikes: DetectedSpike[] = [];
  series.forEach((point, i) => {
    if (point.date < checkFrom) return;
    const from = Math.max(0, i - settings.baselineDays);
    if (i - from < 7) return;
    const byWeekday = new Map<number, number[]>();
    for (let j = from; j < i; j++) {
      const list = byWeekday.get(weekdays[j]) ?? [];
      list.push(series[j].amount);
      byWeekday.set(weekdays[j], list);
    }
    const weekdayMedian = new Map(
      [...byWeekday].map(([w, values]) => [w, median(values)]),
    );
    const deviations: number[] = [];
    for (let j = from; j < i; j++) {
      deviations.push(
        Math.abs(series[j].amount - weekdayMedian.get(weekdays[j])!),
      );
    }
    const same = byWeekday.get(weekdays[i]) ?? [];
    const baseline =
      weekdayMedian.get(weekdays[i]) ??
      median(series.slice(from, i).map(p => p.amount));
    const scale = Math.max(
      1.4826 * median(deviations),
      0.05 * Math.abs(baseline),
      1e-9,
    );
    const excess = point.amount - baseline;
    const score = excess / scale;
    const peak = same.length ? Math.max(...same) : baseline;
    if (
      excess >= settings.minimumExcess &&
      score >= settings.minimumScore &&
      point.amount >= RATIO_OVER_RECENT_PEAK * peak
    ) {
      spikes.push({
        day: point.date,
        amount: point.amount,
        baseline,
        excess,
        score,
      });
    }
  });
  return spikes;
}
