import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestBackend, stopTestBackend } from '../scripts/e2e-server.mjs';

// Next to the journeys' backend, so parallel runs on other ports do not collide.
const PORT = Number(process.env.FORGE_E2E_PORT ?? 7017) + 10;
const BASE = `http://localhost:${PORT}`;

async function waitForReady() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${BASE}/.backstage/health/v1/readiness`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error('backend did not become ready');
}

async function guestToken(): Promise<string> {
  const res = await fetch(`${BASE}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status).toBe(200);
  return (await res.json()).backstageIdentity.token;
}

test('the embedded default keeps its data across a restart', async () => {
  test.setTimeout(240_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-restart-'));
  let backend = startTestBackend({
    port: PORT,
    dataDir,
    stdio: 'ignore',
    detached: true,
  });
  try {
    await waitForReady();
    let token = await guestToken();
    const auth = () => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });

    // Something a user stores, and something the catalog ingested.
    const put = await fetch(
      `${BASE}/api/user-settings/buckets/forge/keys/favourite-blueprint`,
      {
        method: 'PUT',
        headers: auth(),
        body: JSON.stringify({ value: 'ml-training-pipeline' }),
      },
    );
    expect(put.status).toBe(200);
    await expect
      .poll(
        async () =>
          (
            await fetch(
              `${BASE}/api/catalog/entities/by-name/resource/default/claims-warehouse`,
              { headers: auth() },
            )
          ).status,
        { timeout: 90_000 },
      )
      .toBe(200);

    await stopTestBackend(backend);
    expect(fs.readdirSync(path.join(dataDir, 'sqlite'))).toEqual(
      expect.arrayContaining(['catalog.sqlite', 'user-settings.sqlite']),
    );

    backend = startTestBackend({
      port: PORT,
      dataDir,
      stdio: 'ignore',
      detached: true,
    });
    await waitForReady();
    token = await guestToken();

    const setting = await fetch(
      `${BASE}/api/user-settings/buckets/forge/keys/favourite-blueprint`,
      {
        headers: auth(),
      },
    );
    expect(setting.status).toBe(200);
    expect((await setting.json()).value).toBe('ml-training-pipeline');
    const entity = await fetch(
      `${BASE}/api/catalog/entities/by-name/resource/default/claims-warehouse`,
      {
        headers: auth(),
      },
    );
    expect(entity.status).toBe(200);
    expect(
      (await entity.json()).metadata.annotations[
        'forge.io/data-classification'
      ],
    ).toBe('restricted');
  } finally {
    await stopTestBackend(backend);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
