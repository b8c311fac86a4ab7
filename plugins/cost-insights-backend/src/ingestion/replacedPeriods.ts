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

/**
 * What an ingestion replaces of each billing period its rollups touch. Without a declared coverage, every period
 * whole (a FOCUS export restates its periods). With one (an Azure export's runInfo startDate..endDate), a period it
 * covers from its first day to the last day of its month is still replaced whole; of a period it covers in part, only
 * the days it covers, widened to the days the export has rows of in that period (rows the declaration leaves out
 * replace their days rather than add to what is kept).
 */
export function replacedPeriods(
  periods: BillingPeriodKey[],
  rollups: DailyCostRollup[],
  coverage: DayRange | undefined,
): ReplacedPeriod[] {
  if (!coverage) return periods;
  const daysOf = new Map<string, DayRange>();
  for (const r of rollups) {
    const key = `${r.billingAccountId}\u0001${r.billingPeriodStart}`;
    const range = daysOf.get(key);
    if (!range) daysOf.set(key, { from: r.day, to: r.day });
    else {
      if (r.day < range.from) range.from = r.day;
      if (r.day > range.to) range.to = r.day;
    }
  }
  return periods.map(p => {
    const first = p.billingPeriodStart;
    const last = lastDayOfMonth(first);
    if (coverage.from <= first && coverage.to >= last) return p;
    let from = coverage.from > first ? coverage.from : first;
    let to = coverage.to < last ? coverage.to : last;
    const rows = daysOf.get(`${p.billingAccountId}\u0001${first}`);
    if (rows) {
      if (from > to) ({ from, to } = rows);
      else {
        if (rows.from < from) from = rows.from;
        if (rows.to > to) to = rows.to;
      }
    }
    return { ...p, days: { from, to } };
  });
}
