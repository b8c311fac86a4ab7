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

const WRITTEN_DAY = /^(\d{4}-\d{2}-\d{2})/;

/**
 * The key of a billing period: the day it starts, as the provider means it. A monthly period (27 to 32 days long) is
 * the calendar month holding its middle, whatever the zone its bounds are written in: `2024-09-01T00:00:00+02:00` to
 * `2024-10-01T00:00:00+02:00`, the same instants written in UTC (`2024-08-31T22:00:00Z`...) and
 * `2024-09-01T00:00:00Z` are all the period `2024-09-01`. Any other period is keyed by the calendar day its start is
 * written with. Re-ingesting a period in another notation therefore replaces it instead of adding to it.
 */
export function billingPeriodOf(
  startText: string,
  startMs: number,
  endMs: number,
): string {
  const length = endMs - startMs;
  if (length >= 27 * DAY_MS && length <= 32 * DAY_MS) {
    return `${utcDay(startMs + length / 2).slice(0, 7)}-01`;
  }
  return WRITTEN_DAY.exec(startText)?.[1] ?? utcDay(startMs);
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
