import { isChildPath } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
  processingResult,
} from '@backstage/plugin-catalog-node';
import fs from 'node:fs';
import path from 'node:path';

/** Whether a catalog file declares a Location entity (read once at start; an unreadable file declares none). */
function declaresLocation(file: string): boolean {
  try {
    return /^kind:\s*['"]?Location['"]?\s*$/m.test(
      fs.readFileSync(file, 'utf8'),
    );
  } catch {
    return false;
  }
}

function realpathOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Lets the catalog read `file` locations only below known folders: those of the file locations in
 * `catalog.locations` (the repository's own catalog files, the blueprints) and the working copies Forge publishes
 * under `<forge.dataDir>/repositories`. Registering `file` locations through the API is what the embedded default's
 * blueprints need; this keeps it from becoming a way to read any file on the host.
 */
export class FileLocationGuard implements CatalogProcessor {
  /**
   * @param allowedRoots - absolute folders the catalog may read
   * @param rootNames - how a refusal names them (as configured, never the host's absolute paths: the error is shown
   *   to whoever registered the location)
   */
  constructor(
    private readonly allowedRoots: string[],
    private readonly rootNames: string[] = allowedRoots.map(
      () => 'configured folder',
    ),
  ) {}

  static fromConfig(config: Config, cwd = process.cwd()): FileLocationGuard {
    const configured = (
      config.getOptionalConfigArray('catalog.locations') ?? []
    )
      .filter(l => l.getString('type') === 'file')
      .map(l => l.getString('target'));
    const dataDir = path.resolve(
      cwd,
      config.getOptionalString('forge.dataDir') ?? '../../.data',
    );
    const roots: string[] = [];
    const names: string[] = [];
    for (const target of configured) {
      const file = path.resolve(cwd, target);
      // A configured file is readable itself; its folder only when it is a Location whose targets sit beside it
      // (catalog/all.yaml, templates/all.yaml). The repository's own catalog-info.yaml is at the root of the
      // checkout: allowing its folder would open every file of the installation (config, the data folder's keys).
      const isLocation = declaresLocation(file);
      roots.push(isLocation ? path.dirname(file) : file);
      // Relative targets are named as written in the config; absolute ones by their file name only.
      const written = path.isAbsolute(target)
        ? path.basename(target)
        : target.replace(/\\/g, '/');
      names.push(isLocation ? `${path.posix.dirname(written)}/` : written);
    }
    return new FileLocationGuard(
      [...roots, path.join(dataDir, 'repositories')],
      [...names, "the Forge data folder's repositories"],
    );
  }

  getProcessorName() {
    return 'ForgeFileLocationGuard';
  }

  // Before the built-in readers (priority 20), so a refused location is never read.
  getPriority() {
    return 10;
  }

  isAllowed(target: string): boolean {
    // The file reader expands globs: a brace, bracket or extglob group ({..,x}, [.][.], @(..)) could reach a
    // parent folder once expanded although the target as written sits below an allowed folder. Refused outright;
    // `*` and `?` never match a path separator or `..`, so they stay below the folder they are written in.
    if (/[{}()[\]]/.test(target)) return false;
    const resolved = path.resolve(target);
    const real = realpathOrUndefined(resolved);
    return this.allowedRoots.some(root => {
      const realRoot = realpathOrUndefined(root) ?? root;
      // A file that exists is judged where it really is (links followed); one that does not yet, or a glob, as written.
      return real
        ? isChildPath(realRoot, real)
        : isChildPath(root, resolved) || isChildPath(realRoot, resolved);
    });
  }

  async readLocation(
    location: LocationSpec,
    _optional: boolean,
    emit: CatalogProcessorEmit,
  ): Promise<boolean> {
    if (location.type !== 'file' || this.isAllowed(location.target)) {
      return false;
    }
    emit(
      processingResult.inputError(
        location,
        `file location ${path.basename(
          location.target,
        )} is outside the folders the catalog may read (${[
          ...new Set(this.rootNames),
        ].join(', ')}); register it by URL, or publish it through a blueprint`,
      ),
    );
    return true;
  }
}
