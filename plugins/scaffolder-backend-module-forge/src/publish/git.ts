import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs git with no shell, no user or system configuration and no hooks, so publishing behaves the same on every
 * machine and nothing in a generated project can make git run code.
 */
export async function git(
  args: string[],
  options: { cwd?: string; author?: { name: string; email: string } } = {},
): Promise<string> {
  const author = options.author ?? { name: 'Forge', email: 'forge@localhost' };
  const { stdout } = await run(
    'git',
    [
      '-c', 'core.hooksPath=/dev/null',
      '-c', 'commit.gpgsign=false',
      '-c', 'init.defaultBranch=main',
      '-c', 'core.symlinks=true',
      '-c', 'protocol.file.allow=always',
      ...args,
    ],
    {
      cwd: options.cwd,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/nonexistent',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
        LC_ALL: 'C',
      },
    },
  );
  return stdout.trim();
}

/** Whether a bare repository has the given branch. */
export async function hasBranch(bare: string, branch: string): Promise<boolean> {
  try {
    await git(['--git-dir', bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}
