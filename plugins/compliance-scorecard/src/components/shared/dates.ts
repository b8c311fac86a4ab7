const DAY = 24 * 3600 * 1000;

/** `26 Nov 2026`, in the reader's locale. */
export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
}

/** `26 Nov 2026, 09:37`, in the reader's locale. */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** `YYYY-MM-DD` of a date in the reader's time zone, as date inputs use. */
export function toDateInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(
    date.getDate(),
  )}`;
}

/** The end of a `YYYY-MM-DD` day in the reader's time zone, as an ISO timestamp. */
export function endOfDayIso(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59, 999).toISOString();
}

/**
 * The latest day an exemption requested now may expire on, when it expires at the end of that day and may last
 * at most `maxDays` days: the backend refuses anything later than now + maxDays.
 */
export function latestExpiryDay(now: Date, maxDays: number): string {
  return toDateInputValue(new Date(now.getTime() + (maxDays - 1) * DAY));
}

/** `YYYY-MM-DD` a number of days after `now`. */
export function dayAfter(now: Date, days: number): string {
  return toDateInputValue(new Date(now.getTime() + days * DAY));
}
