import { mockServices } from '@backstage/backend-test-utils';
import { ForgivingLunrSearchEngine } from './ForgivingLunrSearchEngine';

describe('ForgivingLunrSearchEngine', () => {
  it('answers from the indexed types when another type has no index yet', async () => {
    const engine = new ForgivingLunrSearchEngine({
      logger: mockServices.logger.mock(),
    });
    const indexer = await engine.getIndexer('software-catalog');
    await indexer.initialize?.();
    await new Promise<void>((resolve, reject) => {
      indexer.on('finish', resolve);
      indexer.on('error', reject);
      indexer.end({
        title: 'Claims Warehouse',
        text: 'Every claim since 2009',
        location: '/catalog/default/resource/claims-warehouse',
      });
    });

    const all = await engine.query({ term: 'claims' });
    expect(all.results.map(r => r.document.title)).toEqual([
      'Claims Warehouse',
    ]);
    const both = await engine.query({
      term: 'claims',
      types: ['software-catalog', 'techdocs'],
    });
    expect(both.results).toHaveLength(1);
    expect(
      (await engine.query({ term: 'claims', types: ['techdocs'] })).results,
    ).toEqual([]);
  });
});
