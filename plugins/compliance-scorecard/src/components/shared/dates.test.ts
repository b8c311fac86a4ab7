import { endOfDayIso, latestExpiryDay, toDateInputValue } from './dates';

describe('expiry dates', () => {
  it('never offers a last day whose end lies beyond the maximum the backend accepts', () => {
    for (const hour of [0, 1, 12, 23]) {
      const now = new Date(2026, 10, 26, hour, 30);
      const latest = latestExpiryDay(now, 180);
      const expires = Date.parse(endOfDayIso(latest));
      expect(expires).toBeLessThanOrEqual(
        now.getTime() + 180 * 24 * 3600 * 1000,
      );
      expect(expires).toBeGreaterThan(now.getTime() + 178 * 24 * 3600 * 1000);
    }
  });

  it('reads and writes days in the reader’s time zone', () => {
    expect(toDateInputValue(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
    const end = new Date(endOfDayIso('2026-01-05'));
    expect([
      end.getFullYear(),
      end.getMonth(),
      end.getDate(),
      end.getHours(),
    ]).toEqual([2026, 0, 5, 23]);
  });
});
