import { isNull, parseDecimal, parseTimestamp, utcDay } from './focusValues';

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

  it('reads numbers in plain and scientific notation and knows NULL', () => {
    expect(parseDecimal('0.00000080000')).toBeCloseTo(8e-7, 12);
    expect(parseDecimal('1.5E-05')).toBeCloseTo(1.5e-5, 12);
    expect(parseDecimal('-3')).toBe(-3);
    expect(parseDecimal('12,5')).toBeUndefined();
    expect(parseDecimal('abc')).toBeUndefined();
    expect(isNull('NULL')).toBe(true);
    expect(isNull('')).toBe(true);
    expect(isNull('0')).toBe(false);
  });
});
