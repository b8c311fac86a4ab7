import {
  addDays,
  addMonths,
  daysBetween,
  eachDay,
  isIsoDay,
  startOfNextMonth,
} from './dates';

describe('dates', () => {
  it('moves across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(startOfNextMonth('2026-12-15')).toBe('2027-01-01');
    expect(daysBetween('2026-11-01', '2026-12-01')).toBe(30);
    expect(eachDay('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
  });

  it('knows real calendar days', () => {
    expect(isIsoDay('2024-02-29')).toBe(true);
    expect(isIsoDay('2026-02-29')).toBe(false);
    expect(isIsoDay('2026-1-01')).toBe(false);
  });
});
