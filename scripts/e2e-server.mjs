// Starts a Forge backend for tests on its own port with its own data folder (FORGE_E2E_PORT, FORGE_E2E_DATA_DIR).
// Used by the browser journeys (as Playwright's web server) and by tests that restart the backend.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, backendCommand } from './lib.mjs';

/**
 * Starts the backend. `detached` puts it in its own process group so `stopTestBackend` can stop it with all it
 * spawned; leave it off when the caller's own process group is killed as a whole (Playwright's web server).
 */
export function startTestBackend({
  port,
  dataDir,
  extraConfig = [],
  stdio = 'inherit',
  detached = false,
}) {
  for (const dir of ['sqlite', 'scaffolder-work', 'techdocs']) {
    fs.mkdirSync(path.join(dataDir, dir), { recursive: true });
  }
  const { command, args, cwd } = backendCommand([
    '../../app-config.yaml',
    '../../e2e-tests/app-config.e2e.yaml',
    ...extraConfig,
  ]);
  return spawn(command, args, {
    cwd,
    stdio,
    detached,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      FORGE_E2E_PORT: String(port),
      FORGE_E2E_DATA_DIR: dataDir,
    },
  });
}

/** Stops a backend started above, with everything it spawned. */
export async function stopTestBackend(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const port = Number(process.env.FORGE_E2E_PORT ?? 7017);
  const dataDir =
    process.env.FORGE_E2E_DATA_DIR ??
    fs.mkdtempSync(path.join(ROOT, '.data', 'e2e-'));
  const child = startTestBackend({ port, dataDir });
  const stop = signal => {
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  child.on('exit', code => process.exit(code ?? 1));
}
