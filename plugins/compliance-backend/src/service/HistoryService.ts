import { ChainVerification } from '@internal/plugin-compliance-common';
import { ComplianceStore, SignedCheckpoint } from '../database/ComplianceStore';
import { verifyChain } from './chain';
import { CheckpointPublisher, checkpointMessage } from './checkpoints';
import { HistoryKeys } from './historyKeys';

/**
 * The tamper-evident history as the rest of the backend sees it: verify it, checkpoint it, and sign what is
 * exported from it. The keys never leave this service and the store.
 */
export class HistoryService {
  constructor(
    private readonly deps: {
      store: ComplianceStore;
      keys: HistoryKeys;
      checkpoints: CheckpointPublisher;
    },
  ) {}

  get keyId(): string {
    return this.deps.keys.keyId;
  }

  /**
   * The public keys auditors verify checkpoints and exports with (SPKI PEM): the current key first, then every
   * retired key still configured, whose checkpoints and exports from before their rotation stay verifiable.
   */
  publicKeyPem(): string {
    return this.deps.keys.publicKeysPem();
  }

  async verify(): Promise<ChainVerification> {
    return verifyChain({
      store: this.deps.store,
      keys: this.deps.keys,
      checkpoints: await this.deps.checkpoints.readAll(),
    });
  }

  /** A signed checkpoint of the head as it is now (a new one only if the head moved). */
  checkpoint(): Promise<SignedCheckpoint | undefined> {
    return this.deps.checkpoints.checkpoint();
  }

  /** The checkpoints kept in the database whose signatures hold, oldest first. */
  async listCheckpoints(): Promise<SignedCheckpoint[]> {
    const { keys, store } = this.deps;
    return (await store.listCheckpoints()).filter(
      c =>
        keys.byId(c.keyId)?.verify(checkpointMessage(c), c.signature) ?? false,
    );
  }

  /** Signs an export: Ed25519 over `forge-evidence/v1`, a line feed and the exported text. */
  signExport(text: string): string {
    return this.deps.keys.sign(`forge-evidence/v1\n${text}`);
  }
}
