import { isChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Resolves a path the template gave relative to the task workspace, refusing absolute paths, `..` that leaves the
 * workspace and any symbolic link on the way (a link could point anywhere on the host). Returns the absolute path.
 */
export async function resolveInsideWorkspace(
  workspacePath: string,
  relativePath: string,
  label: string,
): Promise<string> {
  if (path.isAbsolute(relativePath) || /^[a-zA-Z]:[\\/]/.test(relativePath)) {
    throw new InputError(
      `${label} '${relativePath}' is an absolute path; give a path relative to the task workspace, such as 'environment'`,
    );
  }
  const root = path.resolve(workspacePath);
  const target = path.resolve(root, relativePath);
  const outside = new InputError(
    `${label} '${relativePath}' points outside the task workspace; give a path inside it, such as 'environment'`,
  );
  const relative = path.relative(root, target);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw outside;
  }
  const parts = relative.split(path.sep).filter(Boolean);
  let current = root;
  for (const part of parts) {
    current = path.join(current, part);
    const stat = await lstatOrUndefined(current);
    if (!stat) break;
    if (stat.isSymbolicLink()) {
      throw new InputError(
        `${label} '${relativePath}' goes through the symbolic link '${path.relative(
          root,
          current,
        )}' in the workspace; Forge does not follow links there, remove it or use another path`,
      );
    }
  }
  // And once more as the file system sees it (isChildPath follows links of what exists).
  if (!isChildPath(root, target)) throw outside;
  return target;
}

/** A file to write, its path relative to a folder. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/**
 * Writes files below `folder` (itself inside the workspace), checking every path like `resolveInsideWorkspace`, so
 * a generated name can neither escape nor write through a link.
 */
export async function writeFilesInsideWorkspace(
  workspacePath: string,
  folder: string,
  files: GeneratedFile[],
): Promise<string[]> {
  const written: string[] = [];
  // Check everything before writing anything: a bad path must not leave half a set of files behind.
  const targets = [];
  for (const file of files) {
    const relative = path.join(folder, file.path);
    targets.push({
      file,
      relative,
      absolute: await resolveInsideWorkspace(
        workspacePath,
        relative,
        'generated file',
      ),
    });
  }
  for (const { file, relative, absolute } of targets) {
    await fs.mkdir(path.dirname(absolute), { recursive: true });
    // Re-check after creating folders: nothing may have become a link in between.
    await resolveInsideWorkspace(workspacePath, relative, 'generated file');
    await fs.writeFile(absolute, file.content, 'utf8');
    written.push(relative.split(path.sep).join('/'));
  }
  return written;
}
