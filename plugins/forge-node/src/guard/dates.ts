import { z } from 'zod';

/** How far a caller's clock may run ahead of Forge's before a timestamp counts as "in the future". @public */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * An RFC 3339 timestamp with its time zone (`2026-11-25T09:30:00Z`, `2026-11-25T10:30:00+01:00`): four-digit year,
 * a real calendar day, no local times, no `+275760-…` extended years, no bare numbers. With `notInFuture`, also no
 * later than now plus {@link MAX_CLOCK_SKEW_MS}: a fact dated in the future would stay fresh for ever.
 *
 * The one date rule of Forge's inputs (facts, exemption expiries, as-of dates); `now` is for tests.
 *
 * @public
 */
export function rfc3339Timestamp(
  options: { notInFuture?: boolean; now?: () => Date } = {},
) {
  const now = options.now ?? (() => new Date());
  const timestamp = z.iso
    .datetime({
      offset: true,
      error:
        'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-25T09:30:00Z',
    })
    .refine(v => !Number.isNaN(Date.parse(v)), 'is not a real point in time');
  if (!options.notInFuture) return timestamp;
  return timestamp.refine(
    v => Date.parse(v) <= now().getTime() + MAX_CLOCK_SKEW_MS,
    'must not be in the future (more than 5 minutes ahead of the server clock)',
  );
}

/** The furthest a local day runs ahead of UTC (UTC+14, Kiribati): "today" somewhere may be tomorrow in UTC. */
const MAX_ZONE_AHEAD_MS = 14 * 3600_000;

/**
 * A day (`2026-11-25`, read as its start in UTC) or an RFC 3339 timestamp: for "as of" parameters. With
 * `notInFuture`, no later than now (a day: today anywhere on Earth; a timestamp: plus {@link MAX_CLOCK_SKEW_MS}):
 * evidence or a scorecard "as of" a date to come would present today's state as a future one.
 *
 * @public
 */
export function rfc3339DateOrTimestamp(
  options: { notInFuture?: boolean; now?: () => Date } = {},
) {
  const now = options.now ?? (() => new Date());
  const dateOrTimestamp = z.union(
    [z.iso.date(), z.iso.datetime({ offset: true })],
    {
      error:
        'must be a day (2026-11-25) or an RFC 3339 timestamp with a time zone (2026-11-25T09:30:00Z)',
    },
  );
  if (!options.notInFuture) return dateOrTimestamp;
  return dateOrTimestamp.refine(
    v =>
      Date.parse(v) <=
      now().getTime() +
        (v.length === 10 ? MAX_ZONE_AHEAD_MS : MAX_CLOCK_SKEW_MS),
    'must not be in the future',
  );
}
