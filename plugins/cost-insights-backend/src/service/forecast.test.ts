import {
  addDays,
  DateAggregation,
} from '@internal/plugin-cost-insights-common';
import { forecastDailyCost } from './forecast';

/** A seeded generator (mulberry32) and normal noise (Box-Muller), so every run sees the same series. */
function random(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () =>
    Math.sqrt(-2 * Math.log(uniform() || 1e-12)) *
    Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** `days` of a known series from 2026-01-01 (a Thursday): truth(t) plus noise of the given spread. */
function series(
  days: number,
  truth: (t: number, date: string) => number,
  noise: number,
  seed: number,
) {
  const r = random(seed);
  const history: DateAggregation[] = [];
  const future: number[] = [];
  for (let t = 0; t < days + 90; t++) {
    const date = addDays('2026-01-01', t);
    const value = truth(t, date) + noise * r.normal();
    if (t < days) history.push({ date, amount: value });
    else future.push(value);
  }
  return { history, future };
}

const weekend = (date: string) =>
  [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());
const expectedSum = (
  truth: (t: number, date: string) => number,
  from: number,
  days: number,
) => {
  let s = 0;
  for (let t = from; t < from + days; t++)
    s += truth(t, addDays('2026-01-01', t));
  return s;
};

describe('forecastDailyCost', () => {
  it('forecasts a flat series at its level', () => {
    const truth = () => 100;
    const { history } = series(90, truth, 5, 1);
    const f = forecastDailyCost(history, 90);
    expect(f.total(30).amount).toBeGreaterThan(3000 * 0.98);
    expect(f.total(30).amount).toBeLessThan(3000 * 1.02);
    expect(f.daily[0].date).toBe(addDays(history[89].date, 1));
  });

  it('follows a linear trend', () => {
    const truth = (t: number) => 50 + 2 * t;
    const { history } = series(90, truth, 8, 2);
    const f = forecastDailyCost(history, 90);
    const expected30 = expectedSum(truth, 90, 30);
    const expected90 = expectedSum(truth, 90, 90);
    expect(Math.abs(f.total(30).amount - expected30) / expected30).toBeLessThan(
      0.03,
    );
    expect(Math.abs(f.total(90).amount - expected90) / expected90).toBeLessThan(
      0.05,
    );
  });

  it('keeps the weekly shape of weekday-heavy spend', () => {
    const truth = (_t: number, date: string) => (weekend(date) ? 20 : 100);
    const { history } = series(84, truth, 4, 3);
    const f = forecastDailyCost(history, 30);
    const expected = expectedSum(truth, 84, 30);
    expect(Math.abs(f.total(30).amount - expected) / expected).toBeLessThan(
      0.03,
    );
    const twoWeeks = f.daily.slice(0, 14);
    const weekendDays = twoWeeks
      .filter(d => weekend(d.date))
      .map(d => d.amount);
    const weekdays = twoWeeks.filter(d => !weekend(d.date)).map(d => d.amount);
    expect(weekendDays).toHaveLength(4);
    expect(Math.max(...weekendDays)).toBeLessThan(35);
    expect(Math.min(...weekdays)).toBeGreaterThan(85);
  });

  it('is not bent by a one-day spike in the history', () => {
    const truth = () => 200;
    const { history } = series(60, truth, 6, 4);
    history[50] = { ...history[50], amount: 5000 };
    const f = forecastDailyCost(history, 30);
    expect(Math.abs(f.total(30).amount - 6000) / 6000).toBeLessThan(0.03);
  });

  it('puts the real 30-day total inside its 80% interval about 80% of the time', () => {
    let inside = 0;
    const runs = 300;
    for (let seed = 100; seed < 100 + runs; seed++) {
      const r = random(seed);
      const level = 50 + 200 * r.uniform();
      const growth = 2 * r.uniform() - 0.5;
      const noise = 3 + 20 * r.uniform();
      const truth = (t: number) => level + growth * t;
      const { history, future } = series(70, truth, noise, seed * 7);
      const actual = future.slice(0, 30).reduce((s, v) => s + v, 0);
      const { lower, upper } = forecastDailyCost(history, 30).total(30);
      if (actual >= lower && actual <= upper) inside += 1;
    }
    expect(inside / runs).toBeGreaterThan(0.72);
    expect(inside / runs).toBeLessThan(0.9);
  });

  it('copes with short and empty histories and never forecasts negative cost', () => {
    expect(forecastDailyCost([], 30).total(30)).toEqual({
      amount: 0,
      lower: 0,
      upper: 0,
    });
    const short = [
      { date: '2026-03-01', amount: 10 },
      { date: '2026-03-02', amount: 12 },
      { date: '2026-03-03', amount: 11 },
    ];
    const f = forecastDailyCost(short, 10);
    expect(f.historyDays).toBe(3);
    expect(f.total(10).amount).toBeGreaterThan(80);
    const falling = Array.from({ length: 30 }, (_, t) => ({
      date: addDays('2026-01-01', t),
      amount: 300 - 10 * t,
    }));
    expect(
      forecastDailyCost(falling, 30).daily.every(
        d => d.amount >= 0 && d.lower >= 0,
      ),
    ).toBe(true);
  });
});
