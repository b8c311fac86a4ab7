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

describe('highlights', () => {
  it('keeps the blank between neighbouring highlighted terms (no "fraudscores")', async () => {
    const engine = new ForgivingLunrSearchEngine({
      logger: mockServices.logger.mock(),
    });
    const indexer = await engine.getIndexer('software-catalog');
    await new Promise<void>((resolve, reject) => {
      indexer.on('finish', resolve);
      indexer.on('error', reject);
      indexer.end({
        title: 'Fraud Scoring Service',
        text: 'Real-time claim fraud scores served with KServe; fraud-scoring features.',
        location: '/catalog/default/component/fraud-scoring-service',
      });
    });
    const [result] = (await engine.query({ term: 'fraud scores' })).results;
    const { preTag, postTag, fields } = result.highlight!;
    const shown = fields.text.split(preTag).join('[').split(postTag).join(']');
    expect(shown).toBe(
      // Lunr stems "scoring" like "scores"; the hyphen between two marks is not a blank and stays apart.
      'Real-time claim [fraud scores] served with KServe; [fraud]-[scoring] features.',
    );
  });
});
