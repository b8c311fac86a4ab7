import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { git } from '@internal/plugin-forge-node';
import express from 'express';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createRepositoriesRouter } from './createRepositoriesRouter';
import { LocalGitRepositories } from './LocalGitRepositories';
import { LocalRepositoryUrlReader } from './LocalRepositoryUrlReader';

const BASE = 'http://portal.example:7007/repositories';

/** A real bare repository as the blueprint publisher leaves it, with a second branch holding a slash. */
async function publish(root: string) {
  const bare = path.join(root, 'git/retention-analytics/churn-model.git');
  const work = path.join(root, 'work');
  fs.mkdirSync(path.join(work, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(work, 'catalog-info.yaml'), 'kind: Component\n');
  fs.writeFileSync(path.join(work, 'mkdocs.yml'), 'site_name: churn-model\n');
  fs.writeFileSync(path.join(work, 'docs/index.md'), '# Churn model\n');
  fs.writeFileSync(
    path.join(work, 'README.md'),
    '# Churn model\n\nPredicts churn.\n',
  );
  fs.writeFileSync(path.join(work, 'model.bin'), Buffer.from([0, 1, 2, 3]));
  // A link to a file of the host: git keeps it as a link, and it must never be followed.
  fs.symlinkSync('/etc/hostname', path.join(work, 'host-file'));
  await git(['init', '--quiet', work]);
  await git(['add', '--all', '.'], { cwd: work });
  await git(['commit', '--quiet', '-m', 'first'], { cwd: work });
  await git(['checkout', '--quiet', '-b', 'environment-request/churn-model'], {
    cwd: work,
  });
  fs.mkdirSync(path.join(work, 'environments/churn-model'), {
    recursive: true,
  });
  fs.writeFileSync(
    path.join(work, 'environments/churn-model/request.yaml'),
    'kind: EnvironmentRequest\n',
  );
  await git(['add', '--all', '.'], { cwd: work });
  await git(['commit', '--quiet', '-m', 'request'], { cwd: work });
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  await git(['clone', '--quiet', '--bare', work, bare]);
  await git(['--git-dir', bare, 'symbolic-ref', 'HEAD', 'refs/heads/main']);
  return { bare, main: await git(['--git-dir', bare, 'rev-parse', 'main']) };
}

describe('local repositories', () => {
  let root: string;
  let repositories: LocalGitRepositories;
  let main: string;

  beforeAll(async () => {
    root = fs.realpathSync(
      fs.mkdtempSync(path.join(os.tmpdir(), 'forge-repos-')),
    );
    ({ main } = await publish(root));
    repositories = new LocalGitRepositories(path.join(root, 'git'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('LocalGitRepositories', () => {
    it('splits a branch holding slashes from the path, longest branch first', async () => {
      const location = await repositories.locate(
        'retention-analytics',
        'churn-model',
        ['environment-request', 'churn-model', 'environments', 'churn-model'],
      );
      expect(location).toMatchObject({
        branch: 'environment-request/churn-model',
        path: 'environments/churn-model',
      });
      const entries = await repositories.list(location);
      expect(entries.map(e => e.name)).toEqual(['request.yaml']);
    });

    it('lists folders first and tells files, links and folders apart', async () => {
      const location = await repositories.locate(
        'retention-analytics',
        'churn-model',
        ['main'],
      );
      expect(location.commit).toBe(main);
      const entries = await repositories.list(location);
      expect(entries.map(e => `${e.type}:${e.name}`)).toEqual([
        'tree:docs',
        'blob:catalog-info.yaml',
        'link:host-file',
        'blob:mkdocs.yml',
        'blob:model.bin',
        'blob:README.md',
      ]);
    });

    it('never follows a link: reading it is not found', async () => {
      const location = await repositories.locate(
        'retention-analytics',
        'churn-model',
        ['main', 'host-file'],
      );
      await expect(repositories.read(location)).rejects.toThrow(
        'has no file host-file on main',
      );
    });

    it.each([
      [['..', 'git'], 'is not a valid owner name'],
      [['retention-analytics', '..'], 'is not a valid repository name'],
      [
        ['retention-analytics', 'churn-model.git'],
        'is not a valid repository name',
      ],
    ])('refuses %j', async ([owner, name], message) => {
      await expect(repositories.gitDir(owner, name)).rejects.toThrow(message);
    });

    it('refuses .. in a path and unknown branches', async () => {
      await expect(
        repositories.locate('retention-analytics', 'churn-model', [
          'main',
          '..',
          'x',
        ]),
      ).rejects.toThrow('is not a path in a repository');
      await expect(
        repositories.locate('retention-analytics', 'churn-model', ['nope']),
      ).rejects.toThrow(
        'has no branch nope; its branches are environment-request/churn-model, main',
      );
    });

    it('does not serve a repository folder that links out of the repositories root', async () => {
      const outside = path.join(root, 'outside.git');
      await git(['init', '--quiet', '--bare', outside]);
      fs.mkdirSync(path.join(root, 'git/evil'), { recursive: true });
      fs.symlinkSync(outside, path.join(root, 'git/evil/repo.git'));
      await expect(repositories.gitDir('evil', 'repo')).rejects.toThrow(
        'There is no repository evil/repo',
      );
    });
  });

  describe('LocalRepositoryUrlReader', () => {
    // The URL reader service every plugin gets, with this reader added as the backend adds it.
    const reader = () =>
      UrlReaders.default({
        config: new ConfigReader({
          app: { baseUrl: 'http://portal.example:7007' },
          forge: { dataDir: '/unused' },
        }),
        logger: mockServices.logger.mock(),
        factories: [
          ({ treeResponseFactory }) => [
            {
              predicate: url => url.href.startsWith(`${BASE}/`),
              reader: new LocalRepositoryUrlReader(
                repositories,
                new URL(`${BASE}/`),
                treeResponseFactory,
              ),
            },
          ],
        ],
      });

    it('reads a file with the commit as its version, and says when it has not changed', async () => {
      const url = `${BASE}/retention-analytics/churn-model/blob/main/catalog-info.yaml`;
      const response = await reader().readUrl(url);
      expect((await response.buffer()).toString()).toBe('kind: Component\n');
      expect(response.etag).toBe(main);
      await expect(reader().readUrl(url, { etag: main })).rejects.toMatchObject(
        { name: 'NotModifiedError' },
      );
    });

    it('answers the catalog exact-file search', async () => {
      const url = `${BASE}/retention-analytics/churn-model/blob/main/catalog-info.yaml`;
      const found = await reader().search(url);
      expect(found.files).toHaveLength(1);
      expect((await found.files[0].content()).toString()).toBe(
        'kind: Component\n',
      );
    });

    it('reads a folder as a tree, as TechDocs does for dir:.', async () => {
      const tree = await reader().readTree(
        `${BASE}/retention-analytics/churn-model/tree/main/`,
      );
      expect(tree.etag).toBe(main);
      const dir = await tree.dir();
      expect(fs.readFileSync(path.join(dir, 'docs/index.md'), 'utf8')).toBe(
        '# Churn model\n',
      );
      expect(fs.readFileSync(path.join(dir, 'mkdocs.yml'), 'utf8')).toBe(
        'site_name: churn-model\n',
      );
      // The link out of the tree is not recreated on disk.
      expect(fs.existsSync(path.join(dir, 'host-file'))).toBe(false);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a file address where a folder is wanted', async () => {
      await expect(
        reader().readTree(
          `${BASE}/retention-analytics/churn-model/blob/main/catalog-info.yaml`,
        ),
      ).rejects.toThrow('is not a folder address of a local repository');
    });
  });

  describe('the repositories router', () => {
    const app = () =>
      express()
        .use(
          createRepositoriesRouter({
            repositories,
            httpAuth: mockServices.httpAuth(),
          }),
        )
        .use(mockErrorHandler());

    it('shows the default branch of a repository, with its README', async () => {
      const res = await request(app())
        .get('/retention-analytics/churn-model')
        .expect(200);
      expect(res.body).toMatchObject({
        owner: 'retention-analytics',
        repository: 'churn-model',
        branch: 'main',
        branches: ['environment-request/churn-model', 'main'],
        type: 'tree',
        readme: {
          path: 'README.md',
          text: '# Churn model\n\nPredicts churn.\n',
        },
      });
    });

    it('shows a text file and says a binary one is binary', async () => {
      const text = await request(app())
        .get('/retention-analytics/churn-model/blob/main/docs/index.md')
        .expect(200);
      expect(text.body.file).toEqual({ size: 14, text: '# Churn model\n' });
      const binary = await request(app())
        .get('/retention-analytics/churn-model/blob/main/model.bin')
        .expect(200);
      expect(binary.body.file).toEqual({ size: 4 });
    });

    it('answers 404 for what does not exist and 400 for what is not a path', async () => {
      const missing = await request(app()).get('/retention-analytics/nope');
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toBe(
        'There is no repository retention-analytics/nope',
      );
      await request(app())
        .get('/retention-analytics/churn-model/tree/main/nope')
        .expect(404);
      await request(app())
        .get('/retention-analytics/churn-model/tree/main/%2e%2e/x')
        .expect(400);
    });

    it('is for signed-in people only', async () => {
      const res = await request(app())
        .get('/retention-analytics/churn-model')
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(401);
    });
  });
});
