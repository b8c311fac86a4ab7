import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { DatabaseComplianceStore } from '../database/DatabaseComplianceStore';
import { REPO_ROOT } from '../__testUtils__/catalog';
import { testDatabases } from '../__testUtils__/setup';
import { seedDemoFacts } from './demoFacts';

describe.each(testDatabases.eachSupportedId())(
  'seedDemoFacts (%s)',
  databaseId => {
    let knex: Knex;
    afterEach(() => knex.destroy());

    it('loads the demo facts once, relative to now, and never over real ones', async () => {
      knex = await testDatabases.init(databaseId);
      const store = await DatabaseComplianceStore.fromKnex(knex);
      const now = new Date('2026-11-26T10:00:00Z');
      const file = path.join(REPO_ROOT, 'catalog/demo/facts.yaml');
      expect(await seedDemoFacts(store, file, now)).toBeGreaterThan(10);
      const churn = (
        await store.listFacts(['component:default/churn-model'])
      ).get('component:default/churn-model')!;
      expect(churn.find(f => f.name === 'dependency-scan')?.collectedAt).toBe(
        '2026-11-25T10:00:00.000Z',
      );
      expect(await seedDemoFacts(store, file, now)).toBe(0);
    });

    it('names the broken entry of an invalid file', async () => {
      knex = await testDatabases.init(databaseId);
      const store = await DatabaseComplianceStore.fromKnex(knex);
      const file = path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), 'forge-facts-')),
        'facts.yaml',
      );
      fs.writeFileSync(file, '- entity: churn-model\n  facts: []\n');
      await expect(seedDemoFacts(store, file, new Date())).rejects.toThrow(
        /at 0\.entity: must be a full entity ref/,
      );
      expect((await store.listFacts()).size).toBe(0);
    });
  },
);
