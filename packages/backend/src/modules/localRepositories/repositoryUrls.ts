import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** What a repository URL of the embedded default points at: `<app.baseUrl>/repositories/<owner>/<name>[/tree|blob/<branch>/<path>]`. */
export interface RepositoryUrl {
  owner: string;
  repository: string;
  /** `tree` for a folder, `blob` for a file; undefined for the repository itself (its default branch's root). */
  kind?: 'tree' | 'blob';
  /** The segments after `tree/` or `blob/`: a branch (which may hold slashes) and a path. */
  refAndPath: string[];
}

/** Where repositories live in the portal, e.g. `http://localhost:7007/repositories/`. */
export function repositoriesBaseUrl(config: Config): URL {
  const base =
    config.getOptionalString('app.baseUrl') ?? 'http://localhost:7007';
  return new URL(`${base.replace(/\/+$/, '')}/repositories/`);
}

/** Splits a path such as `retention-analytics/churn-model/tree/main/docs` (URL-encoded segments). */
export function parseRepositoryPath(pathname: string): RepositoryUrl {
  let segments: string[];
  try {
    segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new InputError(`'${pathname}' is not a valid repository path`);
  }
  const [owner, repository, kind, ...refAndPath] = segments;
  if (!owner || !repository) {
    throw new InputError(
      `'${pathname}' names no repository; expected <owner>/<name>[/tree/<branch>/<path>]`,
    );
  }
  if (kind === undefined) return { owner, repository, refAndPath: [] };
  if ((kind !== 'tree' && kind !== 'blob') || refAndPath.length === 0) {
    throw new InputError(
      `'${pathname}' is not a repository address; expected <owner>/<name>/tree|blob/<branch>/<path>`,
    );
  }
  return { owner, repository, kind, refAndPath };
}

/** Parses a full URL below `base`, or returns undefined when it is not one. */
export function parseRepositoryUrl(
  url: URL,
  base: URL,
): RepositoryUrl | undefined {
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname))
    return undefined;
  return parseRepositoryPath(url.pathname.slice(base.pathname.length));
}
