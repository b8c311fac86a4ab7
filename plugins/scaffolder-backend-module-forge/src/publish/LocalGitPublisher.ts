import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PublishSettings } from '../settings';
import { environmentRequestDestination, projectDestination } from './destinations';
import { git, hasBranch } from './git';
import { assertNoEscapingLinks } from './links';

export interface PublishedProject {
  remoteUrl: string;
  browseUrl: string;
  commitHash: string;
  /** Where the catalog reads the project's catalog-info.yaml. */
  catalogInfoUrl: string;
}

export interface PublishedEnvironmentRequest {
  remoteUrl: string;
  browseUrl: string;
  branch: string;
  path: string;
  commitHash: string;
  /** The pull or merge request, when the SCM has one. */
  pullRequestUrl?: string;
}

async function exists(p: string) {
  return fs
    .access(p)
    .then(() => true)
    .catch(() => false);
}

async function withTemporaryDirectory<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'forge-publish-'));
  try {
    return await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Publishing on the embedded default: real git repositories under the data folder. Each project is a bare
 * repository `<dataDir>/git/<owner>/<name>.git`; environment requests are branches of the GitOps repository
 * `<dataDir>/git/<org>/<repo>.git`. The backend serves them read-only at `<app.baseUrl>/repositories/...`, where
 * people browse them and the catalog and TechDocs read them (see destinations.ts).
 */
export class LocalGitPublisher {
  constructor(
    private readonly options: {
      settings: PublishSettings;
      dataDir: string;
      author: { name: string; email: string };
    },
  ) {}

  async publishProject(request: {
    ownerRef: string;
    name: string;
    sourceDir: string;
    commitMessage: string;
  }): Promise<PublishedProject> {
    const { settings, dataDir, author } = this.options;
    const destination = projectDestination(settings, dataDir, request.ownerRef, request.name);
    const bare = destination.repoUrl;
    const branch = destination.defaultBranch;
    if (await hasBranch(bare, branch)) {
      throw new InputError(
        `a repository ${destination.repository} already exists; choose another project name`,
      );
    }
    await assertNoEscapingLinks(request.sourceDir, 'the project');
    await fs.mkdir(path.dirname(bare), { recursive: true });
    await git(['init', '--quiet', '--bare', bare]);

    const commitHash = await withTemporaryDirectory(async tmp => {
      const gitDir = path.join(tmp, 'repo.git');
      const base = ['--git-dir', gitDir, '--work-tree', request.sourceDir];
      await git(['init', '--quiet', '--bare', gitDir]);
      await git([...base, 'add', '--all', '.']);
      await git([...base, 'commit', '--quiet', '-m', request.commitMessage], { author });
      await git(['--git-dir', gitDir, 'push', '--quiet', bare, `HEAD:refs/heads/${branch}`]);
      return git(['--git-dir', gitDir, 'rev-parse', 'HEAD']);
    });
    await git(['--git-dir', bare, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`]);

    return {
      remoteUrl: bare,
      browseUrl: destination.browseUrl,
      commitHash,
      catalogInfoUrl: destination.catalogInfoUrl,
    };
  }

  async publishEnvironmentRequest(request: {
    namespace: string;
    sourceDir: string;
    title: string;
    description: string;
  }): Promise<PublishedEnvironmentRequest> {
    const { settings, dataDir, author } = this.options;
    const destination = environmentRequestDestination(settings, dataDir, request.namespace);
    const bare = destination.repoUrl;
    const main = settings.defaultBranch;
    await assertNoEscapingLinks(request.sourceDir, 'the environment request');
    await this.ensureGitOpsRepository(bare, main);
    if (await hasBranch(bare, destination.branch)) {
      throw new InputError(
        `an environment request for namespace ${request.namespace} already exists (${destination.branch} in ${destination.repository}); choose another name`,
      );
    }
    const commitHash = await withTemporaryDirectory(async tmp => {
      const work = path.join(tmp, 'gitops');
      await git(['clone', '--quiet', '--branch', main, bare, work]);
      await git(['checkout', '--quiet', '-b', destination.branch], { cwd: work });
      const target = path.join(work, destination.path);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.cp(request.sourceDir, target, { recursive: true, verbatimSymlinks: true });
      await git(['add', '--all', '.'], { cwd: work });
      await git(['commit', '--quiet', '-m', request.title, '-m', request.description], { cwd: work, author });
      await git(['push', '--quiet', 'origin', destination.branch], { cwd: work });
      return git(['rev-parse', 'HEAD'], { cwd: work });
    });
    return {
      remoteUrl: bare,
      browseUrl: destination.browseUrl,
      branch: destination.branch,
      path: destination.path,
      commitHash,
    };
  }

  /** The GitOps repository with a first commit on its main branch, created once (concurrent tasks may race). */
  private async ensureGitOpsRepository(bare: string, main: string) {
    if (await hasBranch(bare, main)) return;
    await fs.mkdir(path.dirname(bare), { recursive: true });
    if (!(await exists(path.join(bare, 'HEAD')))) {
      await git(['init', '--quiet', '--bare', bare]);
    }
    await withTemporaryDirectory(async tmp => {
      await git(['init', '--quiet', tmp]);
      await fs.writeFile(
        path.join(tmp, 'README.md'),
        '# GitOps\n\nEnvironment requests from Forge: one folder per namespace, each added by a reviewed branch.\n',
      );
      await git(['add', 'README.md'], { cwd: tmp });
      await git(['commit', '--quiet', '-m', 'Start the GitOps repository'], {
        cwd: tmp,
        author: this.options.author,
      });
      try {
        await git(['push', '--quiet', bare, `HEAD:refs/heads/${main}`], { cwd: tmp });
      } catch (e) {
        // Another task created it a moment ago.
        if (!(await hasBranch(bare, main))) throw e;
      }
    });
    await git(['--git-dir', bare, 'symbolic-ref', 'HEAD', `refs/heads/${main}`]);
  }
}
