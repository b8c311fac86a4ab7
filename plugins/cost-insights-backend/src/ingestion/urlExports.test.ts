import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  ExportFormat,
  independentDailyTotals,
  writeAwsExecution,
  writeAzureRun,
} from '../__testUtils__/exportFolders';
import { focusRow, TestFocusRow } from '../__testUtils__/focusCsv';
import {
  createTestCatalog,
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { DatabaseCostStore } from '../database/DatabaseCostStore';
import { CostSourceScanner } from './CostSourceScanner';

jest.setTimeout(60_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

/** A full snapshot of September up to `days` days; `version` changes the amounts. */
function snapshot(days: number, version: number, parts: number) {
  const rows: TestFocusRow[] = [];
  for (let d = 1; d <= days; d++) {
    const day = `2026-09-${String(d).padStart(2, '0')}`;
    rows.push(
      focusRow(day, {
        BilledCost: ((d + version) / 3).toFixed(10),
        EffectiveCost: ((d + version) / 4).toFixed(10),
        ListCost: ((d + version) / 2).toFixed(10),
        BillingPeriodStart: '2026-09-01T00:00:00Z',
        BillingPeriodEnd: '2026-10-01T00:00:00Z',
      }),
    );
  }
  const size = Math.ceil(rows.length / parts);
  return Array.from({ length: parts }, (_, i) =>
    rows.slice(i * size, (i + 1) * size),
  );
}

/**
 * A static file server standing in for a bucket: ETags and If-None-Match as object stores answer them, and, under
 * /billing/ (an Azure container), a SAS-like `sig` query required on every request.
 */
async function serve(root: string) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(url.pathname + url.search);
    if (
      url.pathname.startsWith('/billing/') &&
      url.searchParams.get('sig') !== 'secret'
    ) {
      res.writeHead(403).end();
      return;
    }
    const file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const stat = fs.statSync(file);
    const etag = `"${stat.size}-${stat.mtimeMs}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { etag, 'content-length': stat.size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

const MONTH = {
  start: '2026-09-01',
  endExclusive: '2026-10-01',
  currency: 'USD',
};

async function storedDaily(store: DatabaseCostStore) {
  const rows = await store.aggregate(
    MONTH,
    ['day'],
    ['billedCost', 'listCost'],
  );
  return Object.fromEntries(
    rows.map(r => [r.day!, { billed: r.billedCost!, list: r.listCost! }]),
  );
}

describe.each(databases.eachSupportedId())(
  'Export manifests at URLs (%s)',
  databaseId => {
    let store: DatabaseCostStore;
    let bucket: string;
    let server: Awaited<ReturnType<typeof serve>>;

    beforeEach(async () => {
      store = await createTestStore(await databases.init(databaseId));
      bucket = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-bucket-'));
      server = await serve(bucket);
    });
    afterEach(async () => {
      await server.close();
      fs.rmSync(bucket, { recursive: true, force: true });
    });

    /** A scanner with Backstage's real URL reader, allowed to read the test server. */
    const scanner = (location: string) => {
      const logger = mockServices.logger.mock();
      return new CostSourceScanner({
        store,
        ingester: createTestIngester(store, createTestCatalog()),
        urlReader: UrlReaders.default({
          config: new ConfigReader({
            backend: { reading: { allow: [{ host: server.host }] } },
          }),
          logger,
        }),
        logger,
        settings: {
          folder: path.join(bucket, 'no-inbox'),
          locations: [location],
          demoData: { enabled: false, days: 90, seed: 1 },
        },
        today: () => '2026-10-03',
      });
    };

    const expectTotals = async (files: string[], format: ExportFormat) => {
      const expected = await independentDailyTotals(files, format);
      const actual = await storedDaily(store);
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      for (const [day, e] of Object.entries(expected)) {
        expect(actual[day].billed).toBeCloseTo(e.billed, 9);
        expect(actual[day].list).toBeCloseTo(e.list, 9);
      }
    };

    describe.each<ExportFormat>(['csv.gz', 'parquet'])('%s', format => {
      it('reads an AWS period manifest named with {billingPeriod} and only the execution it lists', async () => {
        const base = {
          root: path.join(bucket, 'forge-billing', 'focus'),
          exportName: 'focus-export',
          period: '2026-09',
          format,
        };
        await writeAwsExecution({
          ...base,
          executionId: 'exec-1',
          time: '2026-09-28T06:00:00.000Z',
          parts: snapshot(27, 1, 2),
        });
        const latest = await writeAwsExecution({
          ...base,
          executionId: 'exec-2',
          time: '2026-10-02T06:00:00.000Z',
          parts: snapshot(30, 2, 2),
        });
        const location = `${server.origin}/forge-billing/focus/focus-export/metadata/BILLING_PERIOD={billingPeriod}/focus-export-Manifest.json`;

        const records = await scanner(location).scan();
        expect(
          records.map(r => [r.source, r.location, r.status, r.error]),
        ).toEqual([
          [
            'url',
            `${server.origin}/forge-billing/focus/focus-export/metadata/BILLING_PERIOD=2026-09/focus-export-Manifest.json`,
            'succeeded',
            undefined,
          ],
        ]);
        await expectTotals(latest, format);
        // October is not exported yet: asked for, not found, no record.
        expect(server.requests).toContain(
          '/forge-billing/focus/focus-export/metadata/BILLING_PERIOD=2026-10/focus-export-Manifest.json',
        );
        // The unchanged manifest is answered 304 and nothing is read again.
        const before = server.requests.length;
        expect(await scanner(location).scan()).toEqual([]);
        expect(
          server.requests.slice(before).every(r => r.includes('Manifest')),
        ).toBe(true);
      });

      it('reads an Azure run manifest with its SAS token, which records never show', async () => {
        const files = await writeAzureRun({
          root: path.join(bucket, 'billing', 'exports'),
          exportName: 'focus-daily',
          period: '2026-09',
          runId: 'run-7',
          submittedTime: '2026-10-01T08:00:00Z',
          parts: snapshot(30, 1, 3),
          format: format === 'csv.gz' ? 'csv' : format,
        });
        const manifest = path.relative(
          bucket,
          path.join(path.dirname(files[0]), 'manifest.json'),
        );
        const location = `${server.origin}/${manifest}?sv=2024-05-04&sig=secret`;
        const [record] = await scanner(location).scan();
        expect([record.status, record.error]).toEqual(['succeeded', undefined]);
        expect(record.location).toBe(`${server.origin}/${manifest}`);
        await expectTotals(files, format === 'csv.gz' ? 'csv' : format);
        const listed = await store.listIngestions({ limit: 10 });
        expect(JSON.stringify(listed)).not.toContain('secret');
      });
    });
  },
);
