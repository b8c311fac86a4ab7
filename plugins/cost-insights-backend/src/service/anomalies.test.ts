import { addDays } from '@internal/plugin-cost-insights-common';
import { detectSpikes } from './anomalies';

const settings = { baselineDays: 28, minimumExcess: 50, minimumScore: 4 };

function daily(amounts: number[]) {
  return amounts.map((amount, i) => ({
    date: addDays('2026-10-01', i),
    amount,
  }));
}

describe('detectSpikes', () => {
  it('finds a spike against the trailing baseline, with its size and score', () => {
    const amounts = Array.from(
      { length: 40 },
      (_, i) => 100 + ((i * 37) % 11) - 5,
    );
    amounts[35] = 480;
    const spikes = detectSpikes(daily(amounts), '2026-10-01', settings);
    expect(spikes).toHaveLength(1);
    expect(spikes[0].day).toBe(addDays('2026-10-01', 35));
    expect(spikes[0].baseline).toBeGreaterThan(95);
    expect(spikes[0].baseline).toBeLessThan(105);
    expect(spikes[0].excess).toBeCloseTo(480 - spikes[0].baseline, 6);
    expect(spikes[0].score).toBeGreaterThan(4);
  });

  it('ignores ordinary noise, small absolute bumps, days before checkFrom and days without a baseline', () => {
    const noisy = Array.from(
      { length: 40 },
      (_, i) => 1000 + ((i * 53) % 97) - 48,
    );
    expect(detectSpikes(daily(noisy), '2026-10-01', settings)).toEqual([]);

    const tiny = Array.from({ length: 40 }, () => 2);
    tiny[30] = 40; // 20x, but only 38 above: not worth an alert
    expect(detectSpikes(daily(tiny), '2026-10-01', settings)).toEqual([]);

    const early = Array.from({ length: 40 }, () => 100);
    early[5] = 900; // fewer than 7 days of baseline
    early[20] = 900;
    expect(
      detectSpikes(daily(early), '2026-10-01', settings).map(s => s.day),
    ).toEqual([addDays('2026-10-01', 20)]);
    expect(
      detectSpikes(daily(early), addDays('2026-10-01', 21), settings),
    ).toEqual([]);
  });

  it('knows a weekly rhythm and steady growth from a spike', () => {
    // 2026-10-01 is a Thursday: index 4 is a Monday. Training every Monday, growing 10% a week.
    const weekly = Array.from({ length: 63 }, (_, i) =>
      i % 7 === 4 ? 300 * 1.1 ** Math.floor(i / 7) : 30 + (i % 3),
    );
    expect(detectSpikes(daily(weekly), '2026-10-01', settings)).toEqual([]);
    weekly[58] = 400; // a quiet Friday costing like a training day: that is a spike
    expect(
      detectSpikes(daily(weekly), '2026-10-01', settings).map(s => s.day),
    ).toEqual([addDays('2026-10-01', 58)]);
  });

  it('treats a small wobble on a constant cost as normal', () => {
    const flat = Array.from({ length: 40 }, () => 2000);
    flat[33] = 2060; // +3%: MAD is zero, the 5% floor keeps it quiet
    expect(detectSpikes(daily(flat), '2026-10-01', settings)).toEqual([]);
  });
});
