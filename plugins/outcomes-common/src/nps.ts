/**
 * Net Promoter Score of 0-10 answers: the share of promoters (9 and 10) minus the share of detractors (0 to 6), in
 * points from -100 to 100; undefined without answers.
 *
 * @public
 */
export function netPromoterScore(scores: number[]): number | undefined {
  if (scores.length === 0) return undefined;
  const promoters = scores.filter(s => s >= 9).length;
  const detractors = scores.filter(s => s <= 6).length;
  return Math.round((100 * (promoters - detractors)) / scores.length);
}
