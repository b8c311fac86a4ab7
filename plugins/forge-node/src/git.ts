import { execFile, spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Who commits, when git commits. */
export interface GitAuthor {
  name: string;
  email: string;
}

// No user or system configuration, no hooks, no signing prompts: git behaves the same on every machine and nothing
// in a repository can make it run code.
const FIXED_OPTIONS = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'init.defaultBranch=main',
  '-c',
  'core.symlinks=true',
  '-c',
  'protocol.file.allow=always',
];

function environment(
  author: GitAuthor = { name: 'Forge', email: 'forge@localhost' },
) {
  return {
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
  };
}

/**
 * Runs git with no shell and the fixed options above; resolves with its trimmed standard output. Used by the local
 * git publisher of the blueprints and by the backend that serves those repositories.
 */
export async function git(
  args: string[],
  options: { cwd?: string; author?: GitAuthor; maxBuffer?: number } = {},
): Promise<string> {
  const { stdout } = await run('git', [...FIXED_OPTIONS, ...args], {
    cwd: options.cwd,
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
    env: environment(options.author),
    encoding: 'utf8',
  });
  return stdout.trim();
}

/** Like {@link git}, with the raw standard output (for file contents, which may be binary). */
export async function gitBuffer(
  args: string[],
  options: { maxBuffer?: number } = {},
): Promise<Buffer> {
  const { stdout } = await run('git', [...FIXED_OPTIONS, ...args], {
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
    env: environment(),
    encoding: 'buffer',
  });
  return stdout;
}

/**
 * Runs git and streams its standard output (e.g. `git archive`). The stream ends only once git has exited: with an
 * error carrying git's own message when git failed, so a half-written archive is never taken for a whole one.
 */
export function gitStream(args: string[]): Readable {
  const child = spawn('git', [...FIXED_OPTIONS, ...args], {
    env: environment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', chunk => stderr.push(chunk));
  // Read git's output from the start (a child's stdout left unread until after it exits can come up empty);
  // backpressure from the consumer still pauses git.
  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  child.on('close', code => {
    if (code === 0) {
      out.end();
    } else {
      const message = Buffer.concat(stderr).toString('utf8').trim();
      out.destroy(
        new Error(
          `git ${
            args.find(a => !a.startsWith('-') && !a.includes('/')) ?? ''
          } failed: ${message || `exit code ${code}`}`,
        ),
      );
    }
  });
  child.on('error', error => out.destroy(error));
  return out;
}

/** Whether a bare repository has the given branch. */
export async function hasBranch(
  bare: string,
  branch: string,
): Promise<boolean> {
  try {
    await git([
      '--git-dir',
      bare,
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}`,
    ]);
    return true;
  } catch {
    return false;
  }
}
