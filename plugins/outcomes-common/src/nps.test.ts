import { netPromoterScore } from './nps';

describe('netPromoterScore', () => {
  it('is promoters minus detractors, in points', () => {
    // 3 promoters (9, 10, 10), 2 passives (7, 8), 5 detractors (0-6) of 10 answers.
    expect(netPromoterScore([9, 10, 10, 7, 8, 0, 3, 5, 6, 6])).toBe(-20);
    expect(netPromoterScore([10, 9])).toBe(100);
    expect(netPromoterScore([7, 8])).toBe(0);
  });

  it('has no value without answers', () => {
    expect(netPromoterScore([])).toBeUndefined();
  });
});
