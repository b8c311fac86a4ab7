import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const port = Number(process.env.FORGE_E2E_PORT ?? 7017);
const baseURL = `http://localhost:${port}`;
// A fresh data folder for every run: the journeys start from the demo data alone.
const dataDir =
  process.env.FORGE_E2E_DATA_DIR ??
  fs.mkdtempSync(path.join(os.tmpdir(), 'forge-e2e-'));
process.env.FORGE_E2E_DATA_DIR = dataDir;

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [
    ['list'],
    ['json', { outputFile: path.resolve(here, '../.cache/e2e-results.json') }],
  ],
  // One folder per port: Playwright empties it when a run starts, so runs on other ports keep their traces.
  outputDir: path.resolve(here, `../.cache/e2e-artifacts/${port}`),
  webServer: {
    command: `node ${path.resolve(here, '../scripts/e2e-server.mjs')}`,
    url: `${baseURL}/.backstage/health/v1/readiness`,
    reuseExistingServer: false,
    timeout: 300_000,
    env: { FORGE_E2E_PORT: String(port), FORGE_E2E_DATA_DIR: dataDir },
    stdout: 'ignore',
    stderr: 'pipe',
  },
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.FORGE_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
