// Calendar days as `YYYY-MM-DD` strings in UTC: billing days have no time zone, and string days compare and
// sort correctly and survive JSON unchanged.

const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Whether a string is a real calendar day written `YYYY-MM-DD`.
 *
 * @public
 */
export function isIsoDay(value: string): boolean {
  const m = ISO_DAY.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.toISOString().slice(0, 10) === value;
}

/**
 * The UTC calendar day of a date.
 *
 * @public
 */
export function toIsoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function parseDay(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/**
 * The day `n` days after `day` (before when negative).
 *
 * @public
 */
export function addDays(day: string, n: number): string {
  return toIsoDay(new Date(parseDay(day) + n * DAY_MS));
}

/**
 * The day `n` calendar months after `day`, clamped to the end of shorter months.
 *
 * @public
 */
export function addMonths(day: string, n: number): string {
  const d = new Date(parseDay(day));
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return toIsoDay(target);
}

/**
 * Whole days from `from` to `to` (positive when `to` is later).
 *
 * @public
 */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseDay(to) - parseDay(from)) / DAY_MS);
}

/**
 * Every day from `start` (inclusive) to `endExclusive`.
 *
 * @public
 */
export function eachDay(start: string, endExclusive: string): string[] {
  const days: string[] = [];
  for (let d = start; d < endExclusive; d = addDays(d, 1)) days.push(d);
  return days;
}

/**
 * The first day of the month `day` falls in.
 *
 * @public
 */
export function startOfMonth(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

/**
 * The first day of the month after the one `day` falls in.
 *
 * @public
 */
export function startOfNextMonth(day: string): string {
  return addMonths(startOfMonth(day), 1);
}

/**
 * The day of the week, 0 for Sunday to 6 for Saturday.
 *
 * @public
 */
export function dayOfWeek(day: string): number {
  return new Date(parseDay(day)).getUTCDay();
}
