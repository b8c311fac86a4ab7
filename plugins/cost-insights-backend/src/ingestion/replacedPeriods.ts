import type {
  BillingPeriodKey,
  DailyCostRollup,
  ReplacedPeriod,
} from '../database/CostStore';
import type { DayRange } from './sources/exportManifests';

/** The last day (YYYY-MM-DD) of the month of a day. */
function lastDayOfMonth(day: string): string {
  const [year, month] = day.split('-').map(Number);
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

/** The day after a day (YYYY-MM-DD). */
function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000)
    .toISOString()
    .slice(0, 10);
}

/**
 * What an ingestion replaces of each billing period its rollups touch. Without a declared coverage, every period
 * whole (a FOCUS export restates its periods). With one (an Azure export's runInfo startDate..endDate), a period it
 * covers from its first day to the last day of its month is still replaced whole; of a period it covers in part, only
 * the days it covers, plus each day outside them the export has rows of (those rows replace their day rather than add
 * to what is kept), never the days in between: a period then appears once per run of consecutive days replaced, each
 * with its `days`.
 */
export function replacedPeriods(
  periods: BillingPeriodKey[],
  rollups: DailyCostRollup[],
  coverage: DayRange | undefined,
): ReplacedPeriod[] {
  if (!coverage) return periods;
  const daysOf = new Map<string, Set<string>>();
  for (const r of rollups) {
    const key = `${r.billingAccountId}\u0001${r.billingPeriodStart}`;
    let days = daysOf.get(key);
    if (!days) daysOf.set(key, (days = new Set()));
    days.add(r.day);
  }
  return periods.flatMap(p => {
    const first = p.billingPeriodStart;
    const last = lastDayOfMonth(first);
    if (coverage.from <= first && coverage.to >= last) return [p];
    const from = coverage.from > first ? coverage.from : first;
    const to = coverage.to < last ? coverage.to : last;
    // The declared days of the period (none when it covers none of them) and the days of the rows outside them.
    const ranges: DayRange[] = from <= to ? [{ from, to }] : [];
    const outside = [
      ...(daysOf.get(`${p.billingAccountId}\u0001${first}`) ?? []),
    ].filter(day => day < from || day > to);
    for (const day of outside) ranges.push({ from: day, to: day });
    return mergeDayRanges(ranges).map(days => ({ ...p, days }));
  });
}

/** Day ranges (YYYY-MM-DD, both included) as the fewest ranges: overlapping and consecutive ones merged, in order. */
export function mergeDayRanges(ranges: DayRange[]): DayRange[] {
  const merged: DayRange[] = [];
  for (const range of [...ranges].sort((a, b) =>
    a.from.localeCompare(b.from),
  )) {
    const previous = merged[merged.length - 1];
    if (previous && range.from <= nextDay(previous.to)) {
      if (range.to > previous.to) previous.to = range.to;
    } else merged.push({ ...range });
  }
  return merged;
}
