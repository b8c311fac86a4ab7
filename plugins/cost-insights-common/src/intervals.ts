import { addDays, addMonths, isIsoDay } from './dates';

/**
 * The repeating-interval format the Cost Insights API uses: `R<repetitions>/<duration>/<exclusive end day>`,
 * e.g. `R2/P30D/2026-11-26` is the two 30-day periods ending before 26 November 2026.
 *
 * @public
 */
export const INTERVALS_FORMAT =
  'R<repetitions>/P<n>D|P<n>M/<exclusive end YYYY-MM-DD>, e.g. R2/P30D/2026-11-26';

/** @public */
export type Period = { start: string; endExclusive: string };

/**
 * Parsed intervals: `periods` in chronological order, the last one ending at `endExclusive`.
 *
 * @public
 */
export type Intervals = {
  repetitions: number;
  duration: { days: number } | { months: number };
  start: string;
  endExclusive: string;
  periods: Period[];
};

/** Longest span a request may cover, so one request cannot scan the whole store. */
const MAX_SPAN_DAYS = 3 * 366;

/**
 * The reason an intervals string was refused.
 *
 * @public
 */
export class IntervalsError extends Error {
  name = 'IntervalsError';
}

/**
 * Parses `R2/P30D/2026-11-26` (days, weeks or months). Throws {@link IntervalsError} naming the accepted format.
 *
 * @public
 */
export function parseIntervals(value: string): Intervals {
  const m = /^R(\d{1,2})\/P(\d{1,3})([DWM])\/(\d{4}-\d{2}-\d{2})$/.exec(
    value.trim(),
  );
  const refuse = (why: string): never => {
    throw new IntervalsError(
      `Invalid intervals "${value}": ${why}. Expected ${INTERVALS_FORMAT}`,
    );
  };
  if (!m) return refuse('not a repeating interval');
  const repetitions = Number(m[1]);
  const n = Number(m[2]);
  const unit = m[3];
  const endExclusive = m[4];
  if (repetitions < 1) refuse('repetitions must be at least 1');
  if (n < 1) refuse('the duration must be at least one day');
  if (!isIsoDay(endExclusive)) refuse(`${endExclusive} is not a calendar day`);
  const duration: Intervals['duration'] =
    unit === 'M' ? { months: n } : { days: unit === 'W' ? n * 7 : n };
  const step = (day: string, k: number) =>
    'months' in duration
      ? addMonths(day, k * duration.months)
      : addDays(day, k * duration.days);
  const periods: Period[] = [];
  for (let i = repetitions; i >= 1; i--) {
    periods.push({
      start: step(endExclusive, -i),
      endExclusive: step(endExclusive, -(i - 1)),
    });
  }
  const start = periods[0].start;
  const span = Math.round(
    (Date.parse(endExclusive) - Date.parse(start)) / 86_400_000,
  );
  if (span > MAX_SPAN_DAYS) {
    refuse(`it spans ${span} days, more than the ${MAX_SPAN_DAYS} allowed`);
  }
  return { repetitions, duration, start, endExclusive, periods };
}

/**
 * Writes intervals in the Cost Insights format.
 *
 * @public
 */
export function formatIntervals(
  repetitions: number,
  durationDays: number,
  endExclusive: string,
): string {
  return `R${repetitions}/P${durationDays}D/${endExclusive}`;
}
