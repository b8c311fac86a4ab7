import { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import {
  LocalGitRepositories,
  RepositoryEntry,
  RepositoryLocation,
} from './LocalGitRepositories';
import { parseRepositoryPath } from './repositoryUrls';

/** What the repository page shows: a folder with its entries (and README), or a file. */
export interface RepositoryView {
  owner: string;
  repository: string;
  branch: string;
  defaultBranch: string;
  branches: string[];
  commit: string;
  path: string;
  type: 'tree' | 'blob';
  entries?: RepositoryEntry[];
  readme?: { path: string; text: string };
  /** For a file: its size, and its text unless it is binary. */
  file?: { size: number; text?: string };
}

const MAX_ENTRIES = 1000;

/** UTF-8 text without NUL bytes; anything else is shown as binary. */
function asText(content: Buffer): string | undefined {
  if (content.subarray(0, 8000).includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}

/**
 * `GET /api/repositories/<owner>/<name>[/tree|blob/<branch>/<path>]`: the embedded default's local repositories,
 * read-only, for the portal's repository page (packages/app, /repositories/...) - what a Repository, View source or
 * Environment request link opens. Signed-in people only; paths are resolved through git (LocalGitRepositories).
 */
export function createRepositoriesRouter(options: {
  repositories: LocalGitRepositories;
  httpAuth: HttpAuthService;
}): express.Router {
  const { repositories, httpAuth } = options;
  const router = Router();

  async function view(location: RepositoryLocation): Promise<RepositoryView> {
    const type = await repositories.typeOf(location);
    if (type !== 'tree' && type !== 'blob') {
      throw new NotFoundError(
        `${location.owner}/${location.repository} has no ${
          location.path || 'root'
        } on ${location.branch}`,
      );
    }
    const common = {
      owner: location.owner,
      repository: location.repository,
      branch: location.branch,
      defaultBranch: await repositories.defaultBranch(location.gitDir),
      branches: await repositories.branches(location.gitDir),
      commit: location.commit,
      path: location.path,
      type,
    };
    if (type === 'blob') {
      const content = await repositories.read(location);
      return {
        ...common,
        file: { size: content.length, text: asText(content) },
      };
    }
    const entries = (await repositories.list(location)).slice(0, MAX_ENTRIES);
    const readmeEntry = entries.find(
      e => e.type === 'blob' && /^readme(\.md)?$/i.test(e.name),
    );
    const readmeText = readmeEntry
      ? asText(
          await repositories
            .read({ ...location, path: readmeEntry.path })
            .catch(() => Buffer.alloc(0)),
        )
      : undefined;
    return {
      ...common,
      entries,
      readme:
        readmeEntry && readmeText
          ? { path: readmeEntry.path, text: readmeText }
          : undefined,
    };
  }

  router.get(/^\/.+$/, async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    // req.path is still URL-encoded: segments are decoded once, after splitting.
    const { owner, repository, refAndPath } = parseRepositoryPath(req.path);
    const segments = refAndPath.length
      ? refAndPath
      : [
          await repositories.defaultBranch(
            await repositories.gitDir(owner, repository),
          ),
        ];
    const location = await repositories.locate(owner, repository, segments);
    res.setHeader('cache-control', 'no-store');
    res.json(await view(location));
  });

  return router;
}
