import { IntervalsError, parseIntervals } from './intervals';

describe('parseIntervals', () => {
  it('reads two 30-day periods ending before the exclusive end day', () => {
    const intervals = parseIntervals('R2/P30D/2026-11-26');
    expect(intervals.start).toBe('2026-09-27');
    expect(intervals.endExclusive).toBe('2026-11-26');
    expect(intervals.periods).toEqual([
      { start: '2026-09-27', endExclusive: '2026-10-27' },
      { start: '2026-10-27', endExclusive: '2026-11-26' },
    ]);
  });

  it('reads weeks and calendar months', () => {
    expect(parseIntervals('R1/P1W/2026-03-08').periods).toEqual([
      { start: '2026-03-01', endExclusive: '2026-03-08' },
    ]);
    expect(parseIntervals('R2/P3M/2026-07-01').periods).toEqual([
      { start: '2026-01-01', endExclusive: '2026-04-01' },
      { start: '2026-04-01', endExclusive: '2026-07-01' },
    ]);
  });

  it.each([
    ['garbage', 'not a repeating interval'],
    ['R2/P30D/2026-02-30', 'not a calendar day'],
    ['R0/P30D/2026-11-26', 'repetitions must be at least 1'],
    ['R2/P0D/2026-11-26', 'at least one day'],
    ['R12/P365D/2026-11-26', 'more than the'],
    ['R2/PT30H/2026-11-26', 'not a repeating interval'],
  ])('refuses %s and names the accepted format', (value, why) => {
    expect(() => parseIntervals(value)).toThrow(IntervalsError);
    expect(() => parseIntervals(value)).toThrow(why);
    expect(() => parseIntervals(value)).toThrow('R2/P30D/2026-11-26');
  });
});
