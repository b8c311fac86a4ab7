import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { UrlReaderService } from '@backstage/backend-plugin-api';
import { NotModifiedError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CostCatalog } from '../catalog/CostCatalog';
import { testCatalogEntities } from '../__testUtils__/catalogFixture';
import { focusCsv, focusRow } from '../__testUtils__/focusCsv';
import {
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostSourceScanner } from './CostSourceScanner';

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())(
  'CostSourceScanner (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let folder: string;
    let entities = testCatalogEntities;
    const catalog = () =>
      new CostCatalog({
        catalog: catalogServiceMock({ entities }),
        auth: mockServices.auth(),
        entityKinds: ['Component'],
        maxAgeMs: 0,
      });

    beforeEach(async () => {
      store = await createTestStore(await databases.init(databaseId));
      folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-inbox-'));
      entities = testCatalogEntities;
    });
    afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

    const scanner = (
      options: { urlReader?: UrlReaderService; demo?: boolean } = {},
    ) =>
      new CostSourceScanner({
        store,
        ingester: createTestIngester(store, catalog()),
        urlReader: options.urlReader ?? mockServices.urlReader.mock(),
        logger: mockServices.logger.mock(),
        settings: {
          folder,
          locations: options.urlReader
            ? ['https://billing.example/focus.csv.gz']
            : [],
          demoData: { enabled: Boolean(options.demo), days: 90, seed: 1 },
        },
        today: () => '2026-11-20',
      });

    it('ingests new and changed exports from the folder, plain and gzip, and skips unchanged ones', async () => {
      fs.writeFileSync(
        path.join(folder, 'a.csv'),
        focusCsv([focusRow('2026-10-01')]),
      );
      fs.writeFileSync(
        path.join(folder, 'b.csv.gz'),
        gzipSync(
          focusCsv([focusRow('2026-09-01', { BillingAccountId: 'acct-2' })]),
        ),
      );
      fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an export');
      const first = await scanner().scan();
      expect(first.map(r => [path.basename(r.location), r.status])).toEqual([
        ['a.csv', 'succeeded'],
        ['b.csv.gz', 'succeeded'],
      ]);
      expect(await scanner().scan()).toEqual([]);

      // The export of a month is rewritten daily: the new version replaces the old one.
      fs.writeFileSync(
        path.join(folder, 'a.csv'),
        focusCsv([
          focusRow('2026-10-01'),
          focusRow('2026-10-02', { EffectiveCost: '11' }),
        ]),
      );
      const changed = await scanner().scan();
      expect(changed.map(r => path.basename(r.location))).toEqual(['a.csv']);
      const [total] = await store.aggregate(
        { start: '2026-01-01', endExclusive: '2027-01-01', currency: 'USD' },
        [],
        ['effectiveCost'],
      );
      expect(total.effectiveCost).toBe(9 + 11 + 9);
    });

    it('attributes stored exports again when an entity starts claiming their tags', async () => {
      fs.writeFileSync(
        path.join(folder, 'a.csv'),
        focusCsv([focusRow('2026-10-01', { Tags: '{"cost-center": "CC-9"}' })]),
      );
      await scanner().scan();
      expect(await scanner().scan()).toEqual([]);
      entities = testCatalogEntities.map(e =>
        e.metadata.name === 'feature-store'
          ? {
              ...e,
              metadata: {
                ...e.metadata,
                annotations: { 'forge.io/cost-tags': 'cost-center=CC-9' },
              },
            }
          : e,
      );
      const again = await scanner().scan();
      expect(again.map(r => r.status)).toEqual(['succeeded']);
      const [row] = await store.aggregate(
        {
          start: '2026-10-01',
          endExclusive: '2026-10-02',
          currency: 'USD',
          entityRefs: ['component:default/feature-store'],
        },
        [],
        ['effectiveCost'],
      );
      expect(row.effectiveCost).toBe(9);
    });

    it('reads exports at URLs, sending the last ETag so unchanged ones are not read again', async () => {
      const urlReader = mockServices.urlReader.mock();
      urlReader.readUrl.mockResolvedValueOnce({
        buffer: async () => gzipSync(focusCsv([focusRow('2026-10-05')])),
        etag: 'v1',
      });
      const first = await scanner({ urlReader }).scan();
      expect(first.map(r => [r.source, r.status])).toEqual([
        ['url', 'succeeded'],
      ]);
      urlReader.readUrl.mockRejectedValueOnce(new NotModifiedError());
      expect(await scanner({ urlReader }).scan()).toEqual([]);
      expect(urlReader.readUrl).toHaveBeenLastCalledWith(
        'https://billing.example/focus.csv.gz',
        {
          etag: 'v1',
        },
      );
    });

    it('loads the demo data once when the store is empty', async () => {
      const loaded = await scanner({ demo: true }).scan();
      expect(loaded.map(r => [r.source, r.location, r.status])).toEqual([
        ['demo', 'demo:seed=1;days=90;end=2026-11-20', 'succeeded'],
      ]);
      expect(await store.lastBillingDay('USD')).toBe('2026-11-20');
      expect(await scanner({ demo: true }).scan()).toEqual([]);
    });

    it('does not load demo data over real data', async () => {
      fs.writeFileSync(
        path.join(folder, 'a.csv'),
        focusCsv([focusRow('2026-10-01')]),
      );
      await scanner().scan();
      expect(await scanner({ demo: true }).scan()).toEqual([]);
    });
  },
);
