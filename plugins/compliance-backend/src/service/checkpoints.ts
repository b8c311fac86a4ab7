import fs from 'node:fs/promises';
import path from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ComplianceStore, SignedCheckpoint } from '../database/ComplianceStore';
import { HistoryKeys } from './historyKeys';

/**
 * Where a checkpoint was read from. `memory`: the newest one this process published, kept in memory, so that while
 * it runs a rewrite of both the database's copies and the file (the newest records, the newest checkpoint row and
 * line removed together) is still seen.
 */
export type CheckpointSource = 'file' | 'database' | 'memory';

/** A checkpoint as read back for verification, with whether its signature holds. */
export interface ReadCheckpoint extends SignedCheckpoint {
  source: CheckpointSource;
  /** The line of the checkpoint file it is on. */
  line?: number;
  valid: boolean;
}

/**
 * The text a checkpoint's signature covers. Plain lines rather than JSON so that anyone can rebuild it from the
 * five fields without a canonicalisation rule (scripts/verify-evidence.mjs does).
 */
export function checkpointMessage(
  checkpoint: Omit<SignedCheckpoint, 'signature'>,
): string {
  return `forge-checkpoint/v1\n${checkpoint.seq}\n${checkpoint.head}\n${checkpoint.at}\n${checkpoint.keyId}`;
}

function isCheckpoint(value: unknown): value is SignedCheckpoint {
  const v = value as Record<string, unknown>;
  return (
    !!v &&
    Number.isSafeInteger(v.seq) &&
    typeof v.head === 'string' &&
    typeof v.at === 'string' &&
    typeof v.keyId === 'string' &&
    typeof v.signature === 'string'
  );
}

/**
 * Signs checkpoints of the chain head and publishes them where the database writer cannot rewrite them: an
 * append-only file under the data folder (or a WORM mount), the log, and optionally a webhook (a transparency log
 * or a SIEM); a copy goes to the database for evidence exports. Verification compares the chain with every one.
 */
export class CheckpointPublisher {
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private last?: SignedCheckpoint;
  /** The newest checkpoint this process signed and published (not one read back from the database). */
  private published?: SignedCheckpoint;

  constructor(
    private readonly deps: {
      store: ComplianceStore;
      keys: HistoryKeys;
      logger: LoggerService;
      /** Append-only JSON-lines file; none in tests that only use the database copy. */
      file?: string;
      /** POSTed each checkpoint as JSON. */
      webhookUrl?: string;
      /** How long after a write the checkpoint follows, so a burst of writes gets one. Default 5 s. */
      delayAfterWriteMs?: number;
      now?: () => Date;
    },
  ) {}

  /** Publishes a checkpoint of the current head unless the newest one already covers it; one at a time. */
  checkpoint(): Promise<SignedCheckpoint | undefined> {
    const next = this.queue.then(() => this.publish());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Schedules a checkpoint shortly after a write (many writes in a row share one). */
  afterWrite(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.checkpoint().catch(e =>
        this.deps.logger.error(
          `Could not publish a compliance history checkpoint: ${
            (e as Error).message
          }`,
        ),
      );
    }, this.deps.delayAfterWriteMs ?? 5000);
    this.timer.unref?.();
  }

  /** Stops a pending checkpoint (at shutdown). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async publish(): Promise<SignedCheckpoint | undefined> {
    const { store, keys, logger } = this.deps;
    const head = await store.chainHead();
    if (head.seq === 0) return undefined;
    if (head.keyId && head.keyId !== keys.keyId) {
      // The history was rotated to a newer key while this replica ran: a checkpoint signed with its retired key
      // would be named as forged. The replicas with the current key publish.
      logger.warn(
        `Not publishing a compliance history checkpoint: the history is sealed with key ${head.keyId} since a rotation, this replica has ${keys.keyId}; restart it with the current FORGE_HISTORY_KEY`,
      );
      return undefined;
    }
    this.last ??= (await store.listCheckpoints()).at(-1);
    if (this.last && this.last.seq === head.seq && this.last.head === head.hash)
      return this.last;
    const unsigned = {
      seq: head.seq,
      head: head.hash,
      at: (this.deps.now?.() ?? new Date()).toISOString(),
      keyId: keys.keyId,
    };
    const checkpoint: SignedCheckpoint = {
      ...unsigned,
      signature: keys.sign(checkpointMessage(unsigned)),
    };
    const line = JSON.stringify(checkpoint);
    if (this.deps.file) await this.appendToFile(this.deps.file, line);
    await store.saveCheckpoint(checkpoint);
    logger.info(`Compliance history checkpoint ${line}`);
    if (this.deps.webhookUrl) await this.post(line);
    this.last = checkpoint;
    this.published = checkpoint;
    return checkpoint;
  }

  /**
   * Appends one line durably: one write() on a file opened for appending (O_APPEND, so concurrent writers never
   * interleave within a line), then fsync before the checkpoint counts as published. Not a temporary file renamed
   * over it: the file is append-only (chattr +a, a WORM mount) and must never be replaced. A line torn by a crash
   * while writing is left as it is (verification names it) and the new line starts on a line of its own.
   */
  private async appendToFile(file: string, line: string) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'a+', 0o644);
    try {
      const { size } = await handle.stat();
      let separator = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) separator = '\n';
      }
      await handle.write(`${separator}${line}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async post(line: string) {
    try {
      const response = await fetch(this.deps.webhookUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok)
        throw new Error(`${response.status} ${response.statusText}`);
    } catch (e) {
      // The file and the database hold it; the next checkpoint covers this one's records too.
      this.deps.logger.warn(
        `Could not send the compliance history checkpoint to the webhook: ${
          (e as Error).message
        }`,
      );
    }
  }

  /** Every checkpoint from the file and the database, each with whether its signature holds. */
  async readAll(): Promise<ReadCheckpoint[]> {
    const { keys, store } = this.deps;
    const out: ReadCheckpoint[] = [];
    const add = (
      checkpoint: SignedCheckpoint,
      source: CheckpointSource,
      line?: number,
    ) =>
      out.push({
        ...(line ? { line } : {}),
        seq: checkpoint.seq,
        head: checkpoint.head,
        at: checkpoint.at,
        keyId: checkpoint.keyId,
        signature: checkpoint.signature,
        source,
        // Signed by the current key or a retired one; verification checks it was the key in force at its seq.
        valid:
          keys
            .byId(checkpoint.keyId)
            ?.verify(checkpointMessage(checkpoint), checkpoint.signature) ??
          false,
      });
    if (this.deps.file) {
      let text = '';
      try {
        text = await fs.readFile(this.deps.file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      for (const [index, line] of text.split('\n').entries()) {
        if (!line.trim()) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          parsed = undefined;
        }
        if (isCheckpoint(parsed)) add(parsed, 'file', index + 1);
        else
          out.push({
            seq: 0,
            head: '',
            at: '',
            keyId: '',
            signature: '',
            source: 'file',
            line: index + 1,
            valid: false,
          });
      }
    }
    for (const checkpoint of await store.listCheckpoints())
      add(checkpoint, 'database');
    if (this.published) add(this.published, 'memory');
    return out;
  }
}
