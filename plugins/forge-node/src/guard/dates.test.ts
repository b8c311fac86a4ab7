import { rfc3339DateOrTimestamp, rfc3339Timestamp } from './dates';

const now = () => new Date('2026-11-25T12:00:00Z');

describe('rfc3339Timestamp', () => {
  it.each([
    '2026-11-25T09:30:00Z',
    '2026-11-25T10:30:00.123+01:00',
    '2026-11-25T12:04:59Z',
    '1999-01-01T00:00:00Z',
  ])('accepts %s', value => {
    expect(
      rfc3339Timestamp({ notInFuture: true, now }).safeParse(value).success,
    ).toBe(true);
  });

  it.each([
    ['9999-12-31T23:59:59Z', 'must not be in the future'],
    ['+275760-09-13T00:00:00.000Z', 'must be an RFC 3339 timestamp'],
    ['1', 'must be an RFC 3339 timestamp'],
    ['2026-11-25', 'must be an RFC 3339 timestamp'],
    ['2026-11-25T09:30:00', 'must be an RFC 3339 timestamp'],
    ['2026-02-30T09:30:00Z', 'must be an RFC 3339 timestamp'],
    ['2026-11-25T12:05:01Z', 'must not be in the future'],
  ])('refuses %s', (value, message) => {
    const result = rfc3339Timestamp({ notInFuture: true, now }).safeParse(
      value,
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toContain(message);
  });

  it('allows the future where it means something (an expiry)', () => {
    expect(rfc3339Timestamp().safeParse('2027-01-01T00:00:00Z').success).toBe(
      true,
    );
    expect(
      rfc3339Timestamp().safeParse('+275760-09-13T00:00:00.000Z').success,
    ).toBe(false);
  });
});

describe('rfc3339DateOrTimestamp', () => {
  it('takes a day or a timestamp, nothing else', () => {
    const schema = rfc3339DateOrTimestamp();
    expect(schema.safeParse('2026-11-25').success).toBe(true);
    expect(schema.safeParse('2026-11-25T23:59:59.999Z').success).toBe(true);
    expect(schema.safeParse('1').success).toBe(false);
    expect(schema.safeParse('yesterday').success).toBe(false);
  });

  it('refuses an as-of in the future: a timestamp beyond the clock skew, a day beyond today anywhere on Earth', () => {
    const schema = rfc3339DateOrTimestamp({ notInFuture: true, now });
    expect(schema.safeParse('2026-11-25T12:04:59Z').success).toBe(true);
    expect(schema.safeParse('2026-11-26').success).toBe(true);
    expect(schema.safeParse('2026-11-25T12:05:01Z').success).toBe(false);
    expect(schema.safeParse('2026-11-27').success).toBe(false);
    expect(schema.safeParse('9999-12-31').success).toBe(false);
    expect(schema.safeParse('+275760-09-13T00:00:00.000Z').success).toBe(false);
  });
});
