import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createTestIngester,
  createTestStore,
} from '../__testUtils__/testStore';
import { CostIngester } from './CostIngester';
import { fileSource } from './CostSourceScanner';
import { hideServerPaths, serverPaths } from './serverPaths';

// Ingestion records are read by members (GET /ingestions): a file that could not be read is named as records name
// it (inbox/...), never by the server's path (issue 12).

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe('hideServerPaths', () => {
  it('names the inbox and query folders as records do, and only whole folders', () => {
    const paths = serverPaths('/srv/forge/inbox', [
      { name: 'lake', paths: ['/data/lake/focus', 's3://bucket/focus'] },
    ]);
    expect(
      hideServerPaths(
        "ENOENT: no such file or directory, open '/srv/forge/inbox/aws/x.csv'",
        paths,
      ),
    ).toBe("ENOENT: no such file or directory, open 'inbox/aws/x.csv'");
    expect(
      hideServerPaths(
        'IO Error: No files found that match the pattern "/data/lake/focus/2026/*.parquet"',
        paths,
      ),
    ).toBe(
      'IO Error: No files found that match the pattern "query:lake paths[0]/2026/*.parquet"',
    );
    // Not the inbox (only whole folders are named so), and still no server path.
    expect(hideServerPaths('/srv/forge/inbox2/x.csv', paths)).toBe(
      '<server>/x.csv',
    );
  });

  it('shows only the last segment of any other absolute path, and leaves URLs and plain words alone', () => {
    const paths = serverPaths('/srv/forge/inbox');
    expect(
      hideServerPaths(
        '/tmp/forge-cost-parquet-Ab12/export.parquet could not be read (ENOSPC)',
        paths,
      ),
    ).toBe('<server>/export.parquet could not be read (ENOSPC)');
    expect(
      hideServerPaths(
        'IO Error: Extension "/home/forge/.duckdb/extensions/v1.1.3/linux_amd64/httpfs.duckdb_extension" not found.',
        paths,
      ),
    ).toBe('IO Error: Extension "<server>/httpfs.duckdb_extension" not found.');
    expect(
      hideServerPaths("open 'C:\\forge\\data\\history.key' failed", paths),
    ).toBe("open '<server>/history.key' failed");
    expect(hideServerPaths('file:/srv/data/x.csv not found', paths)).toBe(
      'file:<server>/x.csv not found',
    );
    for (const kept of [
      'Could not read https://billing.example.com/exports/2026/09/manifest.json',
      's3://bucket/focus/2026/09/part-0.parquet is not a FOCUS export',
      'ProviderName/PublisherName are deprecated; costs per /month',
      'query:lake paths[0]/2026/x.parquet',
    ]) {
      expect(hideServerPaths(kept, paths)).toBe(kept);
    }
  });
});

describe.each(databases.eachSupportedId())(
  'Ingestion records never show server paths (%s)',
  databaseId => {
    let ingester: CostIngester;
    let dir: string;
    let inbox: string;

    beforeEach(async () => {
      ingester = createTestIngester(
        await createTestStore(await databases.init(databaseId)),
      );
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-paths-'));
      inbox = path.join(dir, 'inbox');
      fs.mkdirSync(path.join(inbox, 'aws'), { recursive: true });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it.each(['csv', 'parquet'])(
      'names a %s file that could not be read inbox/<name> with its error code',
      async format => {
        // The file is gone between the scan that listed it and the read.
        const file = path.join(inbox, 'aws', `gone.${format}`);
        const record = await ingester.ingest({
          source: 'folder',
          location: `inbox/aws/gone.${format}`,
          content: fileSource(file),
          serverPaths: serverPaths(inbox),
        });
        expect(record.status).not.toBe('succeeded');
        expect(record.error).toBe(
          `inbox/aws/gone.${format} could not be read (ENOENT)`,
        );
        expect(JSON.stringify(record)).not.toContain(dir);
      },
    );
  },
);
