import { IndexableResultSet } from '@backstage/plugin-search-common';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Joins highlighted terms separated only by blanks into one highlight: `<m>fraud</m> <m>scores</m>` becomes
 * `<m>fraud scores</m>`. The portal's result list items clamp their text with `display: -webkit-box`, which drops
 * a text node holding only a blank between two marks, so the reader saw "fraudscores"; inside one mark the blank
 * stays.
 */
export function mergeAdjacentHighlights(
  results: IndexableResultSet,
): IndexableResultSet {
  return {
    ...results,
    results: results.results.map(result => {
      const highlight = result.highlight;
      if (!highlight) return result;
      const between = new RegExp(
        `${escape(highlight.postTag)}(\\s+)${escape(highlight.preTag)}`,
        'g',
      );
      const fields = Object.fromEntries(
        Object.entries(highlight.fields).map(([key, value]) => [
          key,
          value.replace(between, '$1'),
        ]),
      );
      return { ...result, highlight: { ...highlight, fields } };
    }),
  };
}
