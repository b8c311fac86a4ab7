import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileLocationGuard } from './FileLocationGuard';

describe('FileLocationGuard', () => {
  let root: string;
  let guard: FileLocationGuard;
  beforeEach(() => {
    root = fs.realpathSync(
      fs.mkdtempSync(path.join(os.tmpdir(), 'forge-guard-')),
    );
    fs.mkdirSync(path.join(root, 'repo/catalog'), { recursive: true });
    fs.mkdirSync(path.join(root, 'data/repositories/team/project'), {
      recursive: true,
    });
    fs.writeFileSync(
      path.join(root, 'data/repositories/team/project/catalog-info.yaml'),
      'kind: Component\n',
    );
    fs.writeFileSync(path.join(root, 'secret.yaml'), 'password: hunter2\n');
    fs.writeFileSync(
      path.join(root, 'repo/catalog/all.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: all }\nspec:\n  targets: [./org/groups.yaml]\n',
    );
    fs.writeFileSync(
      path.join(root, 'repo/catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: { name: forge }\n',
    );
    fs.writeFileSync(path.join(root, 'repo/app-config.local.yaml'), 'x: 1\n');
    fs.mkdirSync(path.join(root, 'repo/.data/compliance'), { recursive: true });
    fs.writeFileSync(path.join(root, 'repo/.data/compliance/history.key'), 'k');
    guard = FileLocationGuard.fromConfig(
      new ConfigReader({
        forge: { dataDir: '../data' },
        catalog: {
          locations: [
            { type: 'file', target: 'catalog-info.yaml' },
            { type: 'file', target: 'catalog/all.yaml' },
            { type: 'url', target: 'https://x/y.yaml' },
          ],
        },
      }),
      path.join(root, 'repo'),
    );
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  async function read(target: string, type = 'file') {
    const emitted: any[] = [];
    const handled = await guard.readLocation({ type, target }, false, r =>
      emitted.push(r),
    );
    return { handled, emitted };
  }

  it('lets the configured catalog folders and published working copies through to the file reader', async () => {
    expect(await read(path.join(root, 'repo/catalog/org/groups.yaml'))).toEqual(
      { handled: false, emitted: [] },
    );
    expect(
      await read(
        path.join(root, 'data/repositories/team/project/catalog-info.yaml'),
      ),
    ).toEqual({
      handled: false,
      emitted: [],
    });
    expect(await read('https://example.com/catalog-info.yaml', 'url')).toEqual({
      handled: false,
      emitted: [],
    });
  });

  it('reads the repository catalog file, but not the rest of the folder it sits in', async () => {
    expect(
      (await read(path.join(root, 'repo/catalog-info.yaml'))).handled,
    ).toBe(false);
    for (const target of [
      'repo/app-config.local.yaml',
      'repo/.data/compliance/history.key',
      'repo/catalog-info.yaml/../app-config.local.yaml',
    ]) {
      expect((await read(path.join(root, target))).handled).toBe(true);
    }
  });

  it('refuses any other file, including through ../ and links', async () => {
    for (const target of [
      '/etc/passwd',
      path.join(root, 'secret.yaml'),
      path.join(root, 'data/repositories/../../secret.yaml'),
    ]) {
      const { handled, emitted } = await read(target);
      expect(handled).toBe(true);
      expect(emitted[0]).toMatchObject({ type: 'error' });
      expect(emitted[0].error.message).toContain(
        'is outside the folders the catalog may read',
      );
    }
    // Globs the file reader would expand into a parent folder.
    for (const target of [
      'repo/catalog/{..,x}/app-config.local.yaml',
      'data/repositories/{..,x}/{..,x}/secret.yaml',
      'repo/catalog/@(..)/app-config.local.yaml',
      'repo/catalog/[.][.]/app-config.local.yaml',
    ]) {
      expect((await read(path.join(root, target))).handled).toBe(true);
    }
    const link = path.join(root, 'data/repositories/team/project/evil.yaml');
    fs.symlinkSync(path.join(root, 'secret.yaml'), link);
    expect((await read(link)).handled).toBe(true);
  });

  it('names the folders it allows as configured, never as paths on the host', async () => {
    const { emitted } = await read(path.join(root, 'secret.yaml'));
    const message: string = emitted[0].error.message;
    expect(message).toBe(
      "file location secret.yaml is outside the folders the catalog may read (catalog-info.yaml, catalog/, the Forge data folder's repositories); register it by URL, or publish it through a blueprint",
    );
    expect(message).not.toContain(root);
    expect(message).not.toContain(os.tmpdir());
  });
});
