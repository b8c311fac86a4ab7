// `./forge start`: the portal with demo data on the embedded default. Builds the frontend bundle when its sources
// changed, then runs the backend, which serves both the portal and the API on one URL.
//   ./forge start [--rebuild] [--config extra.yaml ...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  ROOT,
  backendCommand,
  ensureAppBuilt,
  log,
  waitForReady,
} from './lib.mjs';

const BASE_URL = process.env.FORGE_BASE_URL ?? 'http://localhost:7007';
const argv = process.argv.slice(2);
const extraConfigs = argv.flatMap((a, i) =>
  a === '--config' && argv[i + 1] ? [path.resolve(argv[i + 1])] : [],
);

// Another process on the port would answer the readiness check and make this start look ready while it fails.
const port = Number(new URL(BASE_URL).port || 80);
const portFree = await new Promise(resolve => {
  const probe = net.createServer();
  probe.once('error', () => resolve(false));
  probe.listen(port, () => probe.close(() => resolve(true)));
});
if (!portFree) {
  log(
    `port ${port} is already in use, perhaps by another ./forge start: stop it (Ctrl+C in its terminal) and run this again`,
  );
  process.exit(1);
}

for (const dir of ['sqlite', 'scaffolder-work', 'techdocs']) {
  fs.mkdirSync(path.join(ROOT, '.data', dir), { recursive: true });
}

const buildCode = await ensureAppBuilt({ force: argv.includes('--rebuild') });
if (buildCode !== 0) {
  log('the portal build failed (see above)');
  process.exit(buildCode);
}

const started = Date.now();
const { command, args, cwd } = backendCommand([
  '../../app-config.yaml',
  ...extraConfigs,
]);
const backend = spawn(command, args, {
  cwd,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'development' },
});
let alive = true;
backend.on('exit', code => {
  alive = false;
  process.exit(code ?? 1);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => backend.kill(signal));
}

log(`starting Forge on ${BASE_URL} (data in .data/)`);
if (await waitForReady(BASE_URL, { isAlive: () => alive })) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    `Forge is ready after ${seconds}s: open ${BASE_URL} and sign in as guest. Stop with Ctrl+C.`,
  );
} else if (alive) {
  log(
    `Forge did not report ready within 3 minutes; check the log above. It may still come up on ${BASE_URL}.`,
  );
}
