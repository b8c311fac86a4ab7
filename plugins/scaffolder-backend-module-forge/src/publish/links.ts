import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isChildPath } from '@backstage/backend-plugin-api';

/**
 * Refuses to publish a folder holding a symbolic link that points outside it: the published repository (and the
 * catalog and TechDocs reading its working copy) would otherwise reach files of the host.
 */
export async function assertNoEscapingLinks(root: string, label: string): Promise<void> {
  const realRoot = await fs.realpath(root);
  const pending = [root];
  while (pending.length) {
    const dir = pending.pop()!;
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await fs.realpath(full);
        } catch {
          target = path.resolve(dir, await fs.readlink(full));
        }
        if (!isChildPath(realRoot, target)) {
          throw new InputError(
            `${label} holds the symbolic link '${path.relative(root, full)}' pointing outside it; remove the link before publishing`,
          );
        }
      } else if (entry.isDirectory()) {
        pending.push(full);
      }
    }
  }
}
