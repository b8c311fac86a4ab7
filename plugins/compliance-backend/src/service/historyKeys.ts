import fs from 'node:fs';
import path from 'node:path';
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  hash,
  hkdfSync,
  KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

// PKCS#8 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from(
  '302e020100300506032b657004220420',
  'hex',
);
const KEY_FILE = 'history.key';
const PUBLIC_KEY_FILE = 'checkpoint-public-key.pem';
const MIN_SECRET_LENGTH = 32;

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secret, 'forge-compliance-history', purpose, 32),
  );
}

/**
 * The keys of the tamper-evident history: a secret key for the HMAC of every record and an Ed25519 key pair for
 * signing checkpoints and evidence exports. Both live outside the database. Neither is ever logged.
 */
export class HistoryKeys {
  /** Keyed hash of every ledger record. */
  readonly macKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Short id of the signing key: the first 16 hex digits of the SHA-256 of its public key (DER). */
  readonly keyId: string;
  /**
   * Keys this one replaced, kept to verify what they sealed before their rotation and never to seal anything new
   * (docs/operations.md, rotating the history key). Empty on a retired key itself.
   */
  readonly retired: readonly HistoryKeys[];
  private readonly signingKey: KeyObject;

  private constructor(
    macKey: KeyObject,
    signingKey: KeyObject,
    retired: readonly HistoryKeys[] = [],
  ) {
    this.macKey = macKey;
    this.signingKey = signingKey;
    this.publicKey = createPublicKey(signingKey);
    this.keyId = publicKeyId(this.publicKey);
    this.retired = retired.filter(
      (k, i) =>
        k.keyId !== this.keyId &&
        retired.findIndex(o => o.keyId === k.keyId) === i,
    );
  }

  /** These keys as the current ones, with `retired` kept for verification only. */
  withRetired(retired: readonly HistoryKeys[]): HistoryKeys {
    return new HistoryKeys(this.macKey, this.signingKey, [
      ...this.retired,
      ...retired.flatMap(k => [k.withRetired([]), ...k.retired]),
    ]);
  }

  /** The current key or a retired one, by key id. */
  byId(keyId: string | null | undefined): HistoryKeys | undefined {
    if (!keyId) return undefined;
    if (keyId === this.keyId) return this;
    return this.retired.find(k => k.keyId === keyId);
  }

  /** The ids of every key this backend can verify with: the current one first. */
  get keyIds(): string[] {
    return [this.keyId, ...this.retired.map(k => k.keyId)];
  }

  /**
   * Keys from one secret (at least 32 characters): the MAC key and, unless a separate PEM signing key is given, the
   * Ed25519 signing key are derived from it with HKDF-SHA-256, so one secret is all an operator has to keep.
   */
  static fromSecret(
    secret: string,
    signingKeyPem?: string,
    source = 'forge.compliance.history.key',
  ): HistoryKeys {
    if (secret.trim().length < MIN_SECRET_LENGTH) {
      throw new Error(
        `${source} is too short (${
          secret.trim().length
        } characters): the compliance history key must be at least ${MIN_SECRET_LENGTH} characters; generate one with \`openssl rand -hex 32\``,
      );
    }
    const material = Buffer.from(secret, 'utf8');
    const macKey = createSecretKey(derive(material, 'record-mac'));
    let signingKey: KeyObject;
    if (signingKeyPem) {
      signingKey = createPrivateKey(signingKeyPem);
      if (signingKey.asymmetricKeyType !== 'ed25519') {
        throw new Error(
          'forge.compliance.history.signingKey must be an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)',
        );
      }
    } else {
      signingKey = createPrivateKey({
        key: Buffer.concat([
          ED25519_PKCS8_PREFIX,
          derive(material, 'checkpoint-signing'),
        ]),
        format: 'der',
        type: 'pkcs8',
      });
    }
    return new HistoryKeys(macKey, signingKey);
  }

  /** Fresh random keys, kept in memory only: for tests and benchmarks. */
  static generate(): HistoryKeys {
    return HistoryKeys.fromSecret(randomBytes(32).toString('hex'));
  }

  /**
   * The keys of a running backend: `forge.compliance.history.key` (production: from the environment), else a key
   * generated once in `<dataDir>/compliance/history.key` with mode 0600 (the embedded default; never in production,
   * where a missing or short key stops the start with a message saying what to set). The public key is written next
   * to it for auditors.
   */
  static load(options: {
    config: Config;
    dataDir: string;
    logger: LoggerService;
    /** Refuse to start without a configured key. Default: NODE_ENV is `production`. */
    production?: boolean;
  }): HistoryKeys {
    const settings = options.config.getOptionalConfig(
      'forge.compliance.history',
    );
    const configured = settings?.getOptionalString('key');
    const signingKeyPem = settings?.getOptionalString('signingKey');
    const folder = path.join(options.dataDir, 'compliance');
    const production =
      options.production ?? process.env.NODE_ENV === 'production';
    if (production && configured === undefined) {
      // Never a silent fallback in production: a key generated on one replica's disk differs from the next
      // replica's and is lost with the disk, and then no record can be verified.
      throw new Error(
        'forge.compliance.history.key is not set: in production (NODE_ENV=production) the compliance history needs its key from the environment, FORGE_HISTORY_KEY, at least 32 characters and the same on every replica (e.g. `openssl rand -hex 32`, kept in your secret store). Forge does not generate one in production. See docs/auditors.md',
      );
    }
    const retired = readRetiredKeys(settings);
    let keys: HistoryKeys;
    if (configured !== undefined) {
      keys = HistoryKeys.fromSecret(configured, signingKeyPem);
    } else {
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
      const file = path.join(folder, KEY_FILE);
      try {
        // 'wx': created only if it does not exist, so a key once made is never replaced.
        fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, {
          flag: 'wx',
          mode: 0o600,
        });
        options.logger.info(
          `Generated the compliance history key in ${file}; back it up, and set forge.compliance.history.key in production`,
        );
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if ((fs.statSync(file).mode & 0o077) !== 0) {
        options.logger.warn(
          `${file} can be read by other users; restrict it with chmod 600`,
        );
      }
      keys = HistoryKeys.fromSecret(
        fs.readFileSync(file, 'utf8').trim(),
        signingKeyPem,
        `The key file ${file}`,
      );
    }
    keys = keys.withRetired(retired);
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(folder, PUBLIC_KEY_FILE), keys.publicKeysPem());
    if (keys.retired.length > 0) {
      // Ids only: they are fingerprints of public keys, never the secrets.
      options.logger.info(
        `Compliance history key ${
          keys.keyId
        }; retired keys kept for verification: ${keys.retired
          .map(k => k.keyId)
          .join(', ')}`,
      );
    }
    return keys;
  }

  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The public key of the current key and of every retired one, current first: what auditors verify with. */
  publicKeysPem(): string {
    return [this, ...this.retired].map(k => k.publicKeyPem()).join('');
  }

  /** Ed25519 signature of a text, in hex. */
  sign(message: string | Buffer): string {
    return sign(null, Buffer.from(message), this.signingKey).toString('hex');
  }

  verify(message: string | Buffer, signatureHex: string): boolean {
    return verifySignature(this.publicKey, message, signatureHex);
  }
}

/**
 * Retired keys from `forge.compliance.history.retiredKeys`: a list of secrets (or of `{ key, signingKey }` where the
 * signing key was set apart), or one string of secrets separated by commas or white space, which is what
 * FORGE_HISTORY_RETIRED_KEYS gives through `${...}` substitution.
 */
function readRetiredKeys(settings: Config | undefined): HistoryKeys[] {
  const source = 'forge.compliance.history.retiredKeys';
  const value = settings?.getOptional('retiredKeys');
  if (value === undefined || value === null || value === '') return [];
  let entries: unknown[] = [value];
  if (typeof value === 'string')
    entries = value.split(/[\s,]+/).filter(Boolean);
  else if (Array.isArray(value)) entries = value;
  return entries.map((entry, i) => {
    const where = `${source}[${i}]`;
    if (typeof entry === 'string')
      return HistoryKeys.fromSecret(entry, undefined, where);
    const e = entry as { key?: unknown; signingKey?: unknown };
    if (
      e &&
      typeof e === 'object' &&
      typeof e.key === 'string' &&
      (e.signingKey === undefined || typeof e.signingKey === 'string')
    ) {
      return HistoryKeys.fromSecret(
        e.key,
        e.signingKey as string | undefined,
        where,
      );
    }
    throw new Error(
      `${where} must be a retired history key (a string of at least ${MIN_SECRET_LENGTH} characters) or { key, signingKey }; set FORGE_HISTORY_RETIRED_KEYS to the previous FORGE_HISTORY_KEY values, separated by commas`,
    );
  });
}

export function publicKeyId(publicKey: KeyObject): string {
  return hash(
    'sha256',
    publicKey.export({ type: 'spki', format: 'der' }),
    'hex',
  ).slice(0, 16);
}

export function verifySignature(
  publicKey: KeyObject,
  message: string | Buffer,
  signatureHex: string,
): boolean {
  if (!/^[0-9a-f]{128}$/.test(signatureHex)) return false;
  return verify(
    null,
    Buffer.from(message),
    publicKey,
    Buffer.from(signatureHex, 'hex'),
  );
}
