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

  const period = (start: string) => billingPeriodOf(parseTimestamp(start)!);

  it('keys a billing period as the provider means it, in any notation', () => {
    expect(period('2024-09-01T00:00:00+02:00')).toBe('2024-09-01');
    expect(period('2024-08-31T22:00:00Z')).toBe('2024-09-01');
    expect(period('2024-09-01T00:00:00Z')).toBe('2024-09-01');
    expect(period('2024-09-01')).toBe('2024-09-01');
    expect(period('2024-09-01T00:00:00-12:00')).toBe('2024-09-01');
    expect(period('2024-09-01T00:00:00+14:00')).toBe('2024-09-01');
    // Signup-day (anniversary) periods are the day they start: two of them never share a key.
    expect(period('2023-02-16')).toBe('2023-02-16');
    expect(period('2023-03-16')).toBe('2023-03-16');
    // A week is the UTC day nearest its start.
    expect(period('2024-09-02T00:00:00+02:00')).toBe('2024-09-02');
    expect(period('2024-09-01T22:00:00Z')).toBe('2024-09-02');
  });

  /** Every zone offset in use, -12:00 to +14:00 by quarter hours, as FOCUS writes them. */
  const offsets: string[] = [];
  for (let minutes = -12 * 60; minutes <= 14 * 60; minutes += 15) {
    const a = Math.abs(minutes);
    offsets.push(
      `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(
        2,
        '0',
      )}:${String(a % 60).padStart(2, '0')}`,
    );
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  /** Local midnight of a day in a zone, and the same instant written in UTC. */
  const midnight = (year: number, month: number, day: number, zone: string) => {
    const local = `${year}-${pad(month)}-${pad(day)}T00:00:00${zone}`;
    const ms = parseTimestamp(local)!;
    return { local, utc: new Date(ms).toISOString(), ms };
  };

  it('keys every monthly period in every zone one-to-one: the same instants alike, two periods apart', () => {
    for (const zone of offsets) {
      for (const signupDay of [1, 2, 15, 16, 28]) {
        const keys: string[] = [];
        for (let i = 0; i < 14; i++) {
          const year = 2023 + Math.floor(i / 12);
          const month = (i % 12) + 1;
          const start = midnight(year, month, signupDay, zone);
          const key = period(start.local);
          // The same instant in UTC, and without the colon, is the same period.
          expect([zone, signupDay, period(start.utc)]).toEqual([
            zone,
            signupDay,
            key,
          ]);
          expect(period(start.local.replace(/:(\d\d)$/, '$1'))).toBe(key);
          // A period from the 1st is its month, in every zone.
          const month01 = `${year}-${pad(month)}-01`;
          expect([zone, key]).toEqual([
            zone,
            signupDay === 1 ? month01 : key,
          ]);
          keys.push(key);
        }
        expect([zone, signupDay, new Set(keys).size]).toEqual([
          zone,
          signupDay,
          keys.length,
        ]);
      }
    }
  });

  it('keys weekly periods in every zone one-to-one over a year', () => {
    for (const zone of offsets) {
      const keys = new Set<string>();
      const first = midnight(2024, 1, 1, zone).ms;
      for (let week = 0; week < 53; week++) {
        const start = new Date(first + week * 7 * 86_400_000);
        keys.add(billingPeriodOf(start.getTime()));
      }
      expect([zone, keys.size]).toEqual([zone, 53]);
    }
  });

  it('knows NULL', () => {
    expect(isNull('NULL')).toBe(true);
    expect(isNull('')).toBe(true);
    expect(isNull('0')).toBe(false);
  });
});
