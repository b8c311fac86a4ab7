// `./forge bench`: runs every benchmark in bench/ (files named *.bench.mjs or *.bench.ts), each printing its
// figures as ratios against a baseline measured in the same run. Pass names to run a subset:
//   ./forge bench backend-startup
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT, log } from '../scripts/lib.mjs';

const require = createRequire(import.meta.url);
const transform = require.resolve(
  '@backstage/cli-node/config/nodeTransform.cjs',
  {
    paths: [path.join(ROOT, 'node_modules/@backstage/cli')],
  },
);

// PostgreSQL for the benchmarks that compare against it.
try {
  const out = execFileSync(path.join(ROOT, 'scripts/services.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
} catch {
  log('services could not be started; PostgreSQL figures will be missing');
}

const filters = process.argv.slice(2);
const benches = fs
  .readdirSync(path.join(ROOT, 'bench'))
  .filter(f => /\.bench\.(mjs|ts)$/.test(f))
  .filter(f => filters.length === 0 || filters.some(name => f.startsWith(name)))
  .sort();

let failures = 0;
for (const file of benches) {
  log(`benchmark ${file}`);
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--require', transform, path.join(ROOT, 'bench', file)],
    {
      stdio: 'inherit',
      cwd: ROOT,
    },
  );
  if (result.status !== 0) {
    failures += 1;
    log(`${file} failed (exit ${result.status})`);
  }
}
process.exit(failures ? 1 : 0);
