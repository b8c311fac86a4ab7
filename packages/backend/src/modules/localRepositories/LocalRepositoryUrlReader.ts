import {
  UrlReaderService,
  UrlReaderServiceReadTreeOptions,
  UrlReaderServiceReadTreeResponse,
  UrlReaderServiceReadUrlOptions,
  UrlReaderServiceReadUrlResponse,
  UrlReaderServiceSearchOptions,
  UrlReaderServiceSearchResponse,
} from '@backstage/backend-plugin-api';
import {
  ReaderFactory,
  ReadTreeResponseFactory,
  ReadUrlResponseFactory,
} from '@backstage/backend-defaults/urlReader';
import { InputError, NotModifiedError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { LocalGitRepositories } from './LocalGitRepositories';
import {
  parseRepositoryUrl,
  repositoriesBaseUrl,
  RepositoryUrl,
} from './repositoryUrls';

/**
 * Reads the embedded default's local repositories at the URLs the portal serves them on
 * (`<app.baseUrl>/repositories/<owner>/<name>/tree|blob/<branch>/<path>`), straight from git: the catalog reads a
 * project's catalog-info.yaml and TechDocs its docs the way they would from GitHub, and `backend.reading.allow`
 * stays closed. Any other URL is left to the other readers. The version (etag) of everything read is the commit.
 */
export class LocalRepositoryUrlReader implements UrlReaderService {
  static factory: ReaderFactory = ({ config, treeResponseFactory }) => {
    const base = repositoriesBaseUrl(config);
    const reader = new LocalRepositoryUrlReader(
      LocalGitRepositories.fromConfig(config),
      base,
      treeResponseFactory,
    );
    return [
      {
        predicate: url => parseRepositoryUrlSafely(url, base) !== undefined,
        reader,
      },
    ];
  };

  constructor(
    private readonly repositories: LocalGitRepositories,
    private readonly base: URL,
    private readonly trees: ReadTreeResponseFactory,
  ) {}

  private parse(url: string, kind: 'tree' | 'blob'): RepositoryUrl {
    const parsed = parseRepositoryUrl(new URL(url), this.base);
    if (!parsed || parsed.kind !== kind) {
      throw new InputError(
        `${url} is not a ${
          kind === 'tree' ? 'folder' : 'file'
        } address of a local repository (…/${kind}/<branch>/<path>)`,
      );
    }
    return parsed;
  }

  async readUrl(
    url: string,
    options?: UrlReaderServiceReadUrlOptions,
  ): Promise<UrlReaderServiceReadUrlResponse> {
    const { owner, repository, refAndPath } = this.parse(url, 'blob');
    const location = await this.repositories.locate(
      owner,
      repository,
      refAndPath,
    );
    if (options?.etag === location.commit) throw new NotModifiedError();
    const content = await this.repositories.read(location);
    return ReadUrlResponseFactory.fromReadable(Readable.from([content]), {
      etag: location.commit,
    });
  }

  async readTree(
    url: string,
    options?: UrlReaderServiceReadTreeOptions,
  ): Promise<UrlReaderServiceReadTreeResponse> {
    // TechDocs resolves `dir:.` against the source location, which ends in a slash.
    const { owner, repository, refAndPath } = this.parse(url, 'tree');
    const location = await this.repositories.locate(
      owner,
      repository,
      refAndPath,
    );
    if (options?.etag === location.commit) throw new NotModifiedError();
    return this.trees.fromTarArchive({
      stream: await this.repositories.archive(location),
      etag: location.commit,
      filter: options?.filter,
    });
  }

  /** Only exact file addresses (what the catalog registers); patterns are not supported. */
  async search(
    url: string,
    options?: UrlReaderServiceSearchOptions,
  ): Promise<UrlReaderServiceSearchResponse> {
    if (/[*?[\]{}]/.test(new URL(url).pathname)) {
      throw new InputError(
        `${url}: local repositories cannot be searched with patterns; name the file`,
      );
    }
    const response = await this.readUrl(url, { etag: options?.etag });
    const content = await response.buffer();
    return {
      files: [{ url, content: async () => content }],
      etag: response.etag ?? '',
    };
  }

  toString() {
    return `local-repositories{base=${this.base.href}}`;
  }
}

function parseRepositoryUrlSafely(url: URL, base: URL) {
  try {
    return parseRepositoryUrl(url, base);
  } catch {
    // Below the base but malformed: still ours, so the reader answers with a clear error.
    return url.origin === base.origin && url.pathname.startsWith(base.pathname)
      ? ({} as RepositoryUrl)
      : undefined;
  }
}
