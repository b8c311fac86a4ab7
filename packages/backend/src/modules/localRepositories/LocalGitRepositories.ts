import { isChildPath } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { git, gitBuffer, gitStream } from '@internal/plugin-forge-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

/** One entry of a folder in a repository. */
export interface RepositoryEntry {
  name: string;
  /** Path from the repository root. */
  path: string;
  type: 'tree' | 'blob' | 'link';
  /** Bytes, for files. */
  size?: number;
}

/** A repository, a branch of it and a path in that branch, resolved and checked. */
export interface RepositoryLocation {
  owner: string;
  repository: string;
  /** The bare repository on disk. */
  gitDir: string;
  branch: string;
  /** The commit the branch points at: the version of everything read through this location. */
  commit: string;
  /** Path in the repository, '' for its root; never starts or ends with '/'. */
  path: string;
}

/** Largest file returned whole; bigger ones are refused (a repository page or a catalog file needs no more). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

function checkName(value: string, label: string): string {
  if (!NAME.test(value) || value.includes('..') || value.endsWith('.git')) {
    throw new InputError(`'${value}' is not a valid ${label} name`);
  }
  return value;
}

/** A path inside a repository as git sees it: no empty, `.` or `..` segments, no control characters. */
function checkPath(segments: string[]): string {
  for (const s of segments) {
    // eslint-disable-next-line no-control-regex
    if (s === '.' || s === '..' || /[\u0000-\u001f\\]/.test(s)) {
      throw new InputError(
        `'${segments.join('/')}' is not a path in a repository`,
      );
    }
  }
  return segments.filter(Boolean).join('/');
}

/**
 * The git repositories the embedded default's blueprints publish (`<forge.dataDir>/git/<owner>/<name>.git`), read
 * only: through git's object database, so nothing outside a repository's commits is ever read (no working copy, no
 * links followed on disk). Repository folders are resolved below the root and checked again after following links.
 */
export class LocalGitRepositories {
  constructor(private readonly root: string) {}

  static fromConfig(config: Config, cwd = process.cwd()): LocalGitRepositories {
    const dataDir = path.resolve(
      cwd,
      config.getOptionalString('forge.dataDir') ?? '../../.data',
    );
    return new LocalGitRepositories(path.join(dataDir, 'git'));
  }

  /** The bare repository of owner/name, or NotFoundError. */
  async gitDir(owner: string, repository: string): Promise<string> {
    const candidate = path.join(
      this.root,
      checkName(owner, 'owner'),
      `${checkName(repository, 'repository')}.git`,
    );
    const notFound = new NotFoundError(
      `There is no repository ${owner}/${repository}`,
    );
    let realRoot: string;
    let real: string;
    try {
      realRoot = await fs.realpath(this.root);
      real = await fs.realpath(candidate);
    } catch {
      throw notFound;
    }
    if (!isChildPath(realRoot, real) || real === realRoot) throw notFound;
    const head = await fs.stat(path.join(real, 'HEAD')).catch(() => undefined);
    if (!head?.isFile()) throw notFound;
    return real;
  }

  /** The branch HEAD points at. */
  async defaultBranch(gitDir: string): Promise<string> {
    const ref = await git([
      '--git-dir',
      gitDir,
      'symbolic-ref',
      '--quiet',
      'HEAD',
    ]).catch(() => '');
    return ref.replace(/^refs\/heads\//, '') || 'main';
  }

  async branches(gitDir: string): Promise<string[]> {
    const out = await git([
      '--git-dir',
      gitDir,
      'for-each-ref',
      '--format=%(refname:short)',
      'refs/heads/',
    ]);
    return out ? out.split('\n') : [];
  }

  /**
   * Splits what follows `tree/` or `blob/` in a URL into a branch and a path. Branch names may hold slashes
   * (`environment-request/churn-model`), so the longest leading run of segments that names a branch wins, as on
   * GitHub.
   */
  async locate(
    owner: string,
    repository: string,
    refAndPath: string[],
  ): Promise<RepositoryLocation> {
    const gitDir = await this.gitDir(owner, repository);
    const branches = new Set(await this.branches(gitDir));
    for (let n = refAndPath.length; n > 0; n--) {
      const branch = refAndPath.slice(0, n).join('/');
      if (!branches.has(branch)) continue;
      const commit = await git([
        '--git-dir',
        gitDir,
        'rev-parse',
        '--verify',
        `refs/heads/${branch}^{commit}`,
      ]);
      return {
        owner,
        repository,
        gitDir,
        branch,
        commit,
        path: checkPath(refAndPath.slice(n)),
      };
    }
    throw new NotFoundError(
      `${owner}/${repository} has no branch ${
        refAndPath[0] ?? ''
      }; its branches are ${[...branches].join(', ') || 'none yet'}`,
    );
  }

  /** What the path is at the location's commit: a folder, a file, a symbolic link, or nothing. */
  async typeOf(
    location: RepositoryLocation,
  ): Promise<'tree' | 'blob' | 'link' | undefined> {
    if (location.path === '') return 'tree';
    const parent = path.posix.dirname(location.path);
    const entries = await this.list({
      ...location,
      path: parent === '.' ? '' : parent,
    }).catch(() => []);
    return entries.find(e => e.path === location.path)?.type;
  }

  /** The entries of a folder, folders first, then by name. */
  async list(location: RepositoryLocation): Promise<RepositoryEntry[]> {
    const treeish = location.path
      ? `${location.commit}:${location.path}`
      : location.commit;
    let out: string;
    try {
      out = await git([
        '--git-dir',
        location.gitDir,
        'ls-tree',
        '-z',
        '-l',
        treeish,
      ]);
    } catch {
      throw new NotFoundError(
        `${location.owner}/${location.repository} has no folder ${location.path} on ${location.branch}`,
      );
    }
    const entries = out
      .split('\0')
      .filter(Boolean)
      .flatMap((line): RepositoryEntry[] => {
        // "<mode> <type> <object> <size>\t<name>"
        const tab = line.indexOf('\t');
        const [mode, type, , size] = line.slice(0, tab).trim().split(/\s+/);
        const name = line.slice(tab + 1);
        const entryPath = location.path ? `${location.path}/${name}` : name;
        if (type === 'tree') return [{ name, path: entryPath, type: 'tree' }];
        if (type !== 'blob') return []; // submodules are not served
        return [
          {
            name,
            path: entryPath,
            type: mode === '120000' ? 'link' : 'blob',
            size: Number(size),
          },
        ];
      });
    // Folders first, then files and links, each by name.
    const rank = (e: RepositoryEntry) => (e.type === 'tree' ? 0 : 1);
    return entries.sort(
      (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name),
    );
  }

  /** A file's bytes; NotFoundError for anything that is not a file, InputError above MAX_FILE_BYTES. */
  async read(location: RepositoryLocation): Promise<Buffer> {
    const type = await this.typeOf(location);
    if (type !== 'blob') {
      throw new NotFoundError(
        `${location.owner}/${location.repository} has no file ${location.path} on ${location.branch}`,
      );
    }
    const object = `${location.commit}:${location.path}`;
    const size = Number(
      await git(['--git-dir', location.gitDir, 'cat-file', '-s', object]),
    );
    if (size > MAX_FILE_BYTES) {
      throw new InputError(
        `${location.path} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`,
      );
    }
    return gitBuffer(
      ['--git-dir', location.gitDir, 'cat-file', 'blob', object],
      { maxBuffer: MAX_FILE_BYTES + 1 },
    );
  }

  /** A folder and everything below it as a tar stream, its entries under one top folder (`git archive`). */
  async archive(location: RepositoryLocation): Promise<Readable> {
    if ((await this.typeOf(location)) !== 'tree') {
      throw new NotFoundError(
        `${location.owner}/${location.repository} has no folder ${location.path} on ${location.branch}`,
      );
    }
    const treeish = location.path
      ? `${location.commit}:${location.path}`
      : location.commit;
    return gitStream([
      '--git-dir',
      location.gitDir,
      'archive',
      '--format=tar',
      '--prefix=tree/',
      treeish,
    ]);
  }
}
