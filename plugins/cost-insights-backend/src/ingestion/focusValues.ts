// Reading single FOCUS values the way real exports write them: the literal NULL for no value, timestamps with or
// without a zone, billing periods as the provider means them. Numbers have their own module, shared with the parser
// thread: workers/focusDecimal.js.

/** Whether a field holds no value: empty, or the literal NULL some exporters write. */
export function isNull(value: string | undefined): boolean {
  return (
    value === undefined ||
    value === '' ||
    value === 'NULL' ||
    value === 'null' ||
    value === 'Null'
  );
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch of a FOCUS timestamp: `YYYY-MM-DDTHH:MM:SSZ` as the specification writes it,
 * and what exports actually contain (`YYYY-MM-DD HH:MM:SS`, fractions, offsets, a bare date). Without a zone
 * the time is UTC, as FOCUS requires. Undefined when it is not a real instant.
 */
export function parseTimestamp(value: string): number | undefined {
  const m = TIMESTAMP.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 24 || minute > 59)
    return undefined;
  if (second > 60) return undefined;
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 June over to 1 July; a real day maps back to itself.
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return undefined;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'UTC') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes =
      sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return utc - offsetMinutes * 60_000;
}

const DAY_MS = 86_400_000;
const dayNames = new Map<number, string>();

/** The UTC day (`YYYY-MM-DD`) of an instant. Memoised per day: it runs twice for every billing line. */
export function utcDay(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 100_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/** How far from a month's first midnight UTC a period may start and still be that month: every zone offset, -12 to +14. */
const MONTH_TURN_MS = 14 * 3_600_000;

/**
 * The key of a billing period, from the instant it starts (never from how it is written, so the same period in any
 * notation or zone has one key, and re-ingesting it replaces it):
 * - a period starting within 14 hours of a calendar month's first midnight UTC is that month, `YYYY-MM-01`: the
 *   local midnight of the 1st in any zone (UTC-12 to UTC+14), whether the period is the whole month or month to date;
 * - any other period (a monthly one starting on a signup day, `2023-02-16` to `2023-03-16`) is the UTC day nearest
 *   its start, the start rounded to midnight UTC.
 * Two periods of one account that do not overlap and last more than 28 hours always get different keys: two starts
 * in one month's 28-hour window would make the first shorter, month keys and day keys of the 1st are both within
 * 12 hours of that midnight, and two starts more than 24 hours apart round to different days.
 */
export function billingPeriodOf(startMs: number): string {
  const shifted = new Date(startMs + MONTH_TURN_MS);
  const monthTurn = Date.UTC(
    shifted.getUTCFullYear(),
    shifted.getUTCMonth(),
    1,
  );
  if (startMs <= monthTurn + MONTH_TURN_MS) return utcDay(monthTurn);
  return utcDay(Math.round(startMs / DAY_MS) * DAY_MS);
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const ARM_ID = /^\/(providers|subscriptions)\//i;
const GOOGLE_BILLING_ACCOUNT = /^[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}$/i;

/**
 * The identity of a billing account, which keys its billing periods: two spellings the provider treats as the same
 * account must give the same key, or a month delivered in the other spelling is counted twice. Decided from the id's
 * shape alone, never from the row's provider: in FOCUS 1.3 ServiceProviderName names the vendor of an Azure
 * Marketplace row (Datadog), so the same Azure account arrives on rows of many providers.
 * - An Azure Resource Manager id (`/providers/...`, `/subscriptions/...`, in any case) is case-insensitive; lower case.
 * - An id holding a GUID (an Azure subscription, an MCA account `<guid>:<guid>_2019-05-31`, any provider's GUID) is
 *   case-insensitive by the GUID standard (RFC 9562); lower case.
 * - Google Cloud: a billing account is three groups of six hex digits, shown in upper case; upper case.
 * - AWS (12 digits) and anything else: as written, since those ids are either digits or case-sensitive.
 * Blanks around the id are never part of it.
 */
export function billingAccountIdentity(id: string): string {
  const trimmed = id.trim();
  if (ARM_ID.test(trimmed) || GUID.test(trimmed)) return trimmed.toLowerCase();
  if (GOOGLE_BILLING_ACCOUNT.test(trimmed)) return trimmed.toUpperCase();
  return trimmed;
}

const SCIENTIFIC = /^[+-]?\d+(\.\d+)?e[+-]?\d+$/i;
const WHOLE_AS_DECIMAL = /^\d+\.0+$/;

/**
 * Why a BillingAccountId cannot be the account as its provider wrote it, undefined when it can. A spreadsheet or a
 * data frame that read the column as numbers rewrites `123456789012` as `1.23457E+11` (digits lost: two accounts
 * may become one) or `123456789012.0`; no provider writes an account id that way, and keying the month by it would
 * count it next to the month delivered with the real id.
 */
export function mangledAccountIdProblem(id: string): string | undefined {
  const trimmed = id.trim();
  if (SCIENTIFIC.test(trimmed)) {
    return `"${trimmed}" is a number in scientific notation, not an account id: a spreadsheet rewrote the column. Export the file again without opening it in a spreadsheet, or format the column as text before saving`;
  }
  if (WHOLE_AS_DECIMAL.test(trimmed)) {
    return `"${trimmed}" is an account id rewritten as a decimal number (a tool read the column as numbers). Export the file again with the column read as text`;
  }
  return undefined;
}
