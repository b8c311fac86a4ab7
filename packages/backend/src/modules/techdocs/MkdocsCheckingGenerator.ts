import { spawnSync } from 'node:child_process';
import {
  GeneratorBase,
  GeneratorRunOptions,
} from '@backstage/plugin-techdocs-node';

/** What a reader of a documentation page sees when the backend host has no mkdocs. */
export const MKDOCS_MISSING_MESSAGE =
  'MkDocs is not installed on the Forge backend host, so this documentation cannot be built. ' +
  'Install it and reload this page: `sudo apt-get install mkdocs mkdocs-material` on Debian or Ubuntu, ' +
  'or `pip install mkdocs mkdocs-material` elsewhere.';

/** True when an `mkdocs` executable answers on PATH. */
export function isMkdocsInstalled(command = 'mkdocs'): boolean {
  const result = spawnSync(command, ['--version'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return result.status === 0;
}

/**
 * Wraps the standard TechDocs generator so that a host without mkdocs fails each build with instructions instead
 * of a bare `spawn mkdocs ENOENT`. Checked per build, so installing mkdocs needs no restart.
 */
export class MkdocsCheckingGenerator implements GeneratorBase {
  constructor(
    private readonly inner: GeneratorBase,
    private readonly mkdocsInstalled: () => boolean = isMkdocsInstalled,
  ) {}

  async run(options: GeneratorRunOptions): Promise<void> {
    if (!this.mkdocsInstalled()) {
      options.logStream?.write(`${MKDOCS_MISSING_MESSAGE}\n`);
      throw new Error(MKDOCS_MISSING_MESSAGE);
    }
    await this.inner.run(options);
  }
}
