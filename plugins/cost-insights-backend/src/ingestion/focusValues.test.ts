import { billingPeriodOf, isNull, parseTimestamp, utcDay } from './focusValues';

describe('FOCUS values', () => {
  it('reads timestamps with and without a zone as real exports write them', () => {
    const utc = Date.UTC(2024, 8, 18, 23, 0, 0);
    expect(parseTimestamp('2024-09-18T23:00:00Z')).toBe(utc);
    expect(parseTimestamp('2024-09-18 23:00:00')).toBe(utc);
    expect(parseTimestamp('2024-09-18T23:00:00.000Z')).toBe(utc);
    expect(parseTimestamp('2024-09-19T01:00:00+02:00')).toBe(utc);
    expect(parseTimestamp('2024-09-18T18:00:00-0500')).toBe(utc);
    expect(parseTimestamp('2024-09-18')).toBe(Date.UTC(2024, 8, 18));
    // an offset moves the charge to the day it is in UTC
    expect(utcDay(parseTimestamp('2024-09-19T01:00:00+02:00')!)).toBe(
      '2024-09-18',
    );
  });

  it.each(['2024-02-30 00:00:00', '18/09/2024', '2024-13-01', 'yesterday'])(
    'refuses %p',
    value => expect(parseTimestamp(value)).toBeUndefined(),
  );

  it('keys a billing period as the provider means it, in any notation', () => {
    const period = (start: string, end: string) =>
      billingPeriodOf(start, parseTimestamp(start)!, parseTimestamp(end)!);
    expect(
      period('2024-09-01T00:00:00+02:00', '2024-10-01T00:00:00+02:00'),
    ).toBe('2024-09-01');
    expect(period('2024-08-31T22:00:00Z', '2024-09-30T22:00:00Z')).toBe(
      '2024-09-01',
    );
    expect(period('2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')).toBe(
      '2024-09-01',
    );
    expect(period('2024-09-01', '2024-10-01')).toBe('2024-09-01');
    expect(
      period('2024-09-01T00:00:00-10:00', '2024-10-01T00:00:00-10:00'),
    ).toBe('2024-09-01');
    expect(
      period('2024-09-01T00:00:00+14:00', '2024-10-01T00:00:00+14:00'),
    ).toBe('2024-09-01');
    // An anniversary period (the 14th to the 13th) is the month holding most of it...
    expect(period('2024-08-14', '2024-09-14')).toBe('2024-08-01');
    expect(period('2024-09-14', '2024-10-14')).toBe('2024-09-01');
    // ...and a period that is not monthly is the day its start is written with.
    expect(
      period('2024-09-02T00:00:00+02:00', '2024-09-09T00:00:00+02:00'),
    ).toBe('2024-09-02');
  });

  it('knows NULL', () => {
    expect(isNull('NULL')).toBe(true);
    expect(isNull('')).toBe(true);
    expect(isNull('0')).toBe(false);
  });
});
