import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { HistoryKeys } from './historyKeys';

describe('HistoryKeys.load', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-keys-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const load = (history: JsonObject, production: boolean) =>
    HistoryKeys.load({
      config: new ConfigReader({ forge: { compliance: { history } } }),
      dataDir,
      logger: mockServices.logger.mock(),
      production,
    });
  const keyFile = () => path.join(dataDir, 'compliance', 'history.key');

  it('refuses to start in production without a key, and generates none', () => {
    // `key: ${FORGE_HISTORY_KEY}` with the variable unset: Backstage leaves the key out.
    expect(() => load({}, true)).toThrow(
      /forge\.compliance\.history\.key is not set: in production .*FORGE_HISTORY_KEY, at least 32 characters/,
    );
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  it.each([
    ['the placeholder of the example secret', 'change-me'],
    ['31 characters', 'x'.repeat(31)],
    ['blanks around a short key', `  ${'k'.repeat(20)}            `],
  ])('refuses a key that is %s, in production and elsewhere', (_, key) => {
    for (const production of [true, false]) {
      expect(() => load({ key }, production)).toThrow(
        /forge\.compliance\.history\.key is too short \(\d+ characters\).*at least 32 characters.*openssl rand -hex 32/,
      );
    }
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  it('refuses an empty key (FORGE_HISTORY_KEY set to nothing), naming the setting', () => {
    for (const production of [true, false])
      expect(() => load({ key: '' }, production)).toThrow(
        /forge\.compliance\.history\.key/,
      );
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  it('uses a configured key of 32 characters or more in production', () => {
    const key = 'a'.repeat(64);
    const keys = load({ key }, true);
    expect(keys.keyId).toBe(HistoryKeys.fromSecret(key).keyId);
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  it('generates a key file once outside production and keeps it', () => {
    const first = load({}, false);
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(load({}, false).keyId).toBe(first.keyId);
  });

  it('names the key file when it holds a key too short', () => {
    fs.mkdirSync(path.dirname(keyFile()), { recursive: true });
    fs.writeFileSync(keyFile(), 'short\n');
    expect(() => load({}, false)).toThrow(
      `The key file ${keyFile()} is too short (5 characters)`,
    );
  });
});
