// Helpers shared by the project's scripts (start, test, bench): running commands and waiting for the backend.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
);

export function log(message) {
  process.stderr.write(`\x1b[1;34mforge\x1b[0m ${message}\n`);
}

/** Runs a command, streaming its output; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise(resolve => {
    const child = spawn(command, args, {
      stdio: 'inherit',
      cwd: ROOT,
      ...options,
    });
    child.on('exit', code => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

/** The newest modification time of any file below the given paths (skipping node_modules and dist). */
export function newestMtime(paths) {
  let newest = 0;
  const visit = p => {
    let stat;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      const base = path.basename(p);
      if (base === 'node_modules' || base === 'dist' || base === 'dist-types')
        return;
      for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  paths.forEach(visit);
  return newest;
}

/** Frontend packages whose sources go into the app bundle. */
export function frontendSourcePaths() {
  const dirs = [path.join(ROOT, 'packages/app')];
  const pluginsDir = path.join(ROOT, 'plugins');
  if (fs.existsSync(pluginsDir)) {
    for (const name of fs.readdirSync(pluginsDir)) {
      const pkgFile = path.join(pluginsDir, name, 'package.json');
      if (!fs.existsSync(pkgFile)) continue;
      const role = JSON.parse(fs.readFileSync(pkgFile, 'utf8')).backstage?.role;
      if (
        role === 'frontend-plugin' ||
        role === 'common-library' ||
        role === 'web-library'
      ) {
        dirs.push(path.join(pluginsDir, name));
      }
    }
  }
  return dirs;
}

/** Builds the portal bundle when any frontend source is newer than the last build. */
export async function ensureAppBuilt({ force = false } = {}) {
  const index = path.join(ROOT, 'packages/app/dist/index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (!force && built > newestMtime(frontendSourcePaths())) {
    return 0;
  }
  log('building the portal (production bundle of packages/app)');
  return run(process.execPath, [yarnRelease(), 'workspace', 'app', 'build']);
}

export function yarnRelease() {
  const dir = path.join(ROOT, '.yarn/releases');
  return path.join(
    dir,
    fs.readdirSync(dir).find(f => f.endsWith('.cjs')),
  );
}

/**
 * The command that runs the backend from its TypeScript sources, without a file watcher: the same transpile-on-load
 * hook `backstage-cli package start` uses, in one process that stops when it is told to. Runs in packages/backend,
 * so relative paths in app-config.yaml resolve from there.
 */
export function backendCommand(configs) {
  const transform = createRequire(import.meta.url).resolve(
    '@backstage/cli-node/config/nodeTransform.cjs',
    {
      paths: [path.join(ROOT, 'node_modules/@backstage/cli')],
    },
  );
  return {
    command: process.execPath,
    args: [
      '--enable-source-maps',
      '--require',
      transform,
      'src/index',
      ...configs.flatMap(c => ['--config', c]),
    ],
    cwd: path.join(ROOT, 'packages/backend'),
  };
}

/** Polls the backend's readiness endpoint until it answers 200 or the timeout passes. */
export async function waitForReady(
  baseUrl,
  { timeoutMs = 180_000, isAlive = () => true } = {},
) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (!isAlive()) return false;
    try {
      const res = await fetch(`${baseUrl}/.backstage/health/v1/readiness`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  return false;
}
