import fs from 'node:fs/promises';
import path from 'node:path';

/** A text file of the task workspace, its path relative to the workspace with forward slashes. */
export interface WorkspaceFile {
  path: string;
  content: string;
}

/** Files larger than this are not read (generated projects hold source and config, not data). */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * The text files of a workspace, in path order. Symbolic links are not followed (a link could point anywhere on the
 * host), `.git` is skipped, and binary files (with a NUL byte) and files above 1 MiB are left out.
 */
export async function readWorkspaceFiles(
  root: string,
): Promise<WorkspaceFile[]> {
  const files: WorkspaceFile[] = [];
  async function walk(dir: string, prefix: string) {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') await walk(absolute, relative);
      } else if (entry.isFile()) {
        const stat = await fs.stat(absolute);
        if (stat.size > MAX_FILE_BYTES) continue;
        const buffer = await fs.readFile(absolute);
        if (buffer.includes(0)) continue;
        files.push({ path: relative, content: buffer.toString('utf8') });
      }
    }
  }
  await walk(root, '');
  return files;
}
