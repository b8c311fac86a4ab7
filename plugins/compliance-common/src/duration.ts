/**
 * Milliseconds of a duration written as in CEL and the policy packs' parameters: hours, minutes and seconds, e.g.
 * `168h`, `1h30m`, `90s`. Returns undefined for anything else, so callers can say what is wrong.
 *
 * @public
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}
