// `./forge test`: the whole test suite, in the order a failure is cheapest to find.
//   1. services: PostgreSQL, Chromium and mkdocs installed and started (scripts/services.sh)
//   2. type check (tsc), 3. lint, 4. unit, component and store tests (Jest; every store test runs on SQLite and
//   on PostgreSQL), 5. production build of the portal, 6. browser journeys in headless Chromium (Playwright).
// Every step runs even when an earlier one failed (the journeys need the build). The last line is
// `N passed, N failed` over all tests and checks.
//
// Options: --only <step>[,<step>] with steps tsc, lint, unit, build, e2e; extra arguments after `--` go to Jest.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, log, run, yarnRelease } from './lib.mjs';

const args = process.argv.slice(2);
const dashDash = args.indexOf('--');
const jestArgs = dashDash >= 0 ? args.slice(dashDash + 1) : [];
const onlyIndex = args.indexOf('--only');
const only =
  onlyIndex >= 0 ? new Set(args[onlyIndex + 1].split(',')) : undefined;
const wanted = step => !only || only.has(step);

const CACHE = path.join(ROOT, '.cache');
fs.mkdirSync(CACHE, { recursive: true });
const yarn = (...a) => [process.execPath, [yarnRelease(), ...a]];

const results = []; // { step, passed, failed, note }
const record = (step, passed, failed, note = '') =>
  results.push({ step, passed, failed, note });

// 1. Services.
if (wanted('unit') || wanted('e2e')) {
  log('starting services (PostgreSQL, Chromium, mkdocs)');
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
    log(
      'services could not be started; PostgreSQL tests and browser journeys will fail',
    );
  }
}
const postgresVars = Object.keys(process.env).filter(k =>
  /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
);

// 2. Type check.
if (wanted('tsc')) {
  log('type check (tsc)');
  const code = await run(...yarn('tsc'));
  record('type check', code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}

// 3. Lint.
if (wanted('lint')) {
  log('lint (eslint through backstage-cli)');
  const code = await run(...yarn('backstage-cli', 'repo', 'lint'));
  record('lint', code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}

// 4. Unit, component and store tests.
if (wanted('unit')) {
  log(
    postgresVars.length > 0
      ? `unit and store tests (store tests on SQLite and ${postgresVars
          .map(v => v.match(/POSTGRES\d+/)[0])
          .join(', ')})`
      : 'unit and store tests (WARNING: no PostgreSQL configured, store tests run on SQLite only)',
  );
  const out = path.join(CACHE, 'jest-results.json');
  fs.rmSync(out, { force: true });
  // Store tests use the PostgreSQL that services.sh started. Backstage's TestDatabases would otherwise start
  // containers for other PostgreSQL versions whenever CI is set, and no container engine runs on these machines.
  process.env.BACKSTAGE_TEST_DISABLE_DOCKER ??= '1';
  const code = await run(
    ...yarn(
      'backstage-cli',
      'repo',
      'test',
      '--watchAll=false',
      '--json',
      `--outputFile=${out}`,
      ...jestArgs,
    ),
  );
  if (fs.existsSync(out)) {
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    const all = report.testResults.flatMap(f => f.assertionResults);
    const pg = all.filter(t => /POSTGRES/.test(t.fullName));
    const pgPassed = pg.filter(t => t.status === 'passed').length;
    // Suites that failed to run at all (syntax errors, failing hooks) count as one failure each.
    const brokenSuites = report.testResults.filter(
      f =>
        f.status === 'failed' &&
        f.assertionResults.every(a => a.status !== 'failed'),
    ).length;
    record(
      'jest',
      report.numPassedTests,
      report.numFailedTests + brokenSuites,
      `${pgPassed} of them on PostgreSQL`,
    );
    if (postgresVars.length > 0 && pg.length === 0 && !only) {
      record(
        'postgres store tests ran',
        0,
        1,
        'PostgreSQL was configured but no test ran on it',
      );
    }
  } else {
    record('jest', 0, 1, `jest exited with ${code} and wrote no report`);
  }
}

// 5. Production build of the portal.
let built = true;
if (wanted('build') || wanted('e2e')) {
  log('production build of the portal (packages/app)');
  const code = await run(...yarn('workspace', 'app', 'build'));
  built = code === 0;
  record('app build', built ? 1 : 0, built ? 0 : 1);
}

// 6. Browser journeys.
if (wanted('e2e')) {
  log('browser journeys (Playwright, headless Chromium)');
  const out = path.join(CACHE, 'e2e-results.json');
  fs.rmSync(out, { force: true });
  if (!built) {
    record('e2e', 0, 1, 'skipped: the portal did not build');
  } else {
    const code = await run(
      ...yarn(
        'playwright',
        'test',
        '--config',
        'e2e-tests/playwright.config.ts',
      ),
    );
    if (fs.existsSync(out)) {
      const { stats } = JSON.parse(fs.readFileSync(out, 'utf8'));
      record(
        'e2e',
        stats.expected + stats.flaky,
        stats.unexpected,
        stats.skipped ? `${stats.skipped} skipped` : '',
      );
    } else {
      record('e2e', 0, 1, `playwright exited with ${code} and wrote no report`);
    }
  }
}

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log('\nForge test summary');
for (const r of results) {
  console.log(
    `  ${r.failed ? 'FAIL' : 'ok  '} ${r.step.padEnd(26)} ${r.passed} passed, ${
      r.failed
    } failed${r.note ? `  (${r.note})` : ''}`,
  );
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
