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

  describe('retired keys', () => {
    const current = 'c'.repeat(64);
    const old = ['o'.repeat(64), 'p'.repeat(48)];
    const ids = old.map(k => HistoryKeys.fromSecret(k).keyId);

    it.each([
      [
        'FORGE_HISTORY_RETIRED_KEYS: secrets separated by commas',
        old.join(', '),
      ],
      ['a list of secrets', old],
      ['a list of { key }', old.map(key => ({ key }))],
    ])('reads %s, for verification only', (_, retiredKeys) => {
      const logger = mockServices.logger.mock();
      const keys = HistoryKeys.load({
        config: new ConfigReader({
          forge: { compliance: { history: { key: current, retiredKeys } } },
        }),
        dataDir,
        logger,
        production: true,
      });
      expect(keys.keyId).toBe(HistoryKeys.fromSecret(current).keyId);
      expect(keys.retired.map(k => k.keyId)).toEqual(ids);
      expect(keys.byId(ids[1])?.keyId).toBe(ids[1]);
      // Auditors get every public key, the current one first; the log names key ids, never a secret.
      const published = fs.readFileSync(
        path.join(dataDir, 'compliance', 'checkpoint-public-key.pem'),
        'utf8',
      );
      expect(published.match(/BEGIN PUBLIC KEY/g)).toHaveLength(3);
      expect(published.startsWith(keys.publicKeyPem())).toBe(true);
      const logged = JSON.stringify([
        ...(logger.info as jest.Mock).mock.calls,
        ...(logger.warn as jest.Mock).mock.calls,
      ]);
      expect(logged).toContain(ids[0]);
      for (const secret of [current, ...old])
        expect(logged).not.toContain(secret.slice(0, 32));
    });

    it('leaves no retired keys when FORGE_HISTORY_RETIRED_KEYS is unset or empty', () => {
      expect(load({ key: current }, true).retired).toEqual([]);
      expect(load({ key: current, retiredKeys: '' }, true).retired).toEqual([]);
    });

    it('refuses a retired key that is too short or not a key, naming which one and what to set', () => {
      expect(() =>
        load({ key: current, retiredKeys: `${old[0]},short` }, true),
      ).toThrow(
        /^forge\.compliance\.history\.retiredKeys\[1\] is too short \(5 characters\)/,
      );
      expect(() =>
        load({ key: current, retiredKeys: [{ secret: old[0] }] }, true),
      ).toThrow(
        /forge\.compliance\.history\.retiredKeys\[0\] must be a retired history key .*FORGE_HISTORY_RETIRED_KEYS/,
      );
    });
  });
});
