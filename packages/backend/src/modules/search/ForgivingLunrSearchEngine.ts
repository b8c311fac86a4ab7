import { LunrSearchEngine } from '@backstage/plugin-search-backend-node';
import {
  IndexableResultSet,
  SearchQuery,
} from '@backstage/plugin-search-common';

/**
 * The in-memory search of the embedded default, answering with what is indexed so far. Lunr fails the whole query
 * when one requested type has no index yet (right after a start, or TechDocs on a host without mkdocs); searching
 * the catalog should not break because the docs index is empty. (Highlights are Lunr's own: the blank between two
 * highlighted terms is kept by the portal's result text, whatever the engine; see docs/frontend-patches.md.)
 */
export class ForgivingLunrSearchEngine extends LunrSearchEngine {
  async query(query: SearchQuery): Promise<IndexableResultSet> {
    const indexed = Object.keys(this.lunrIndices);
    const types = query.types?.length
      ? query.types.filter(t => indexed.includes(t))
      : indexed;
    if (types.length === 0) return { results: [] };
    return super.query({ ...query, types });
  }
}
