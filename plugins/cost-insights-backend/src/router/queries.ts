import { InputError } from '@backstage/errors';
import { addDays, isIsoDay } from '@internal/plugin-cost-insights-common';
import { z } from 'zod';

/** Validates a request's query string with a schema; a 400 naming each problem otherwise. */
export function parseQuery<T extends z.ZodTypeAny>(
  schema: T,
  query: unknown,
): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    throw new InputError(
      `Invalid query: ${parsed.error.issues
        .map(i => `${i.path.join('.') || 'query'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

const isoDay = z
  .string()
  .refine(isIsoDay, 'must be a calendar day written YYYY-MM-DD');

export const daysQuery = z.object({
  days: z.coerce
    .number()
    .int()
    .min(7, 'days must be at least 7')
    .max(366, 'days must be at most 366')
    .default(90),
});

export const rangeQuery = z
  .object({
    start: isoDay.optional(),
    end: isoDay.optional(),
  })
  .refine(
    q => !q.start || !q.end || q.start < q.end,
    'start must be before end (end is exclusive)',
  )
  .refine(
    q =>
      !q.start ||
      !q.end ||
      Date.parse(q.end) - Date.parse(q.start) <= 3 * 366 * 86_400_000,
    'the range may span at most three years',
  );

/** A range from the query, defaulting to the 30 days ending on `lastDay`. */
export function rangeOf(
  q: { start?: string; end?: string },
  lastDay: string,
  defaultDays = 30,
): { start: string; endExclusive: string } {
  const endExclusive = q.end ?? addDays(lastDay, 1);
  const start = q.start ?? addDays(endExclusive, -defaultDays);
  if (start >= endExclusive) {
    throw new InputError('start must be before end (end is exclusive)');
  }
  return { start, endExclusive };
}
