import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  APPROVAL_CHECK_IDS,
  Exemption,
  ExemptionRequest,
} from '@internal/plugin-compliance-common';
import { ComplianceStore } from '../database/ComplianceStore';
import { CatalogReader } from './CatalogReader';
import { ComplianceNotifier } from './Notifier';
import { PolicyPackLoader } from './PolicyPackLoader';

const APPROVAL_IDS = new Set<string>(Object.values(APPROVAL_CHECK_IDS));
const DAY = 24 * 3600 * 1000;

/**
 * Exemptions and gate approvals: requested with a justification and a compensating control, decided by someone
 * else who holds the approve permission, counted only until they expire.
 */
export class ExemptionService {
  constructor(
    private readonly deps: {
      store: ComplianceStore;
      loader: PolicyPackLoader;
      catalog: CatalogReader;
      notifier: ComplianceNotifier;
      maxDays: number;
      warnDaysBeforeExpiry: number;
      /** Called after an exemption of an entity is decided, so its score reflects the decision at once. */
      reevaluate: (entityRef: string) => Promise<unknown>;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  async request(
    input: ExemptionRequest,
    requestedBy: string,
  ): Promise<Exemption> {
    const kind = input.kind ?? 'exemption';
    const now = this.now();
    const known = new Set(
      this.deps.loader.policy.packs.flatMap(p => p.checks.map(c => c.id)),
    );
    if (
      kind === 'approval'
        ? !APPROVAL_IDS.has(input.checkId)
        : !known.has(input.checkId)
    ) {
      throw new InputError(
        kind === 'approval'
          ? `checkId must be one of ${[...APPROVAL_IDS].join(
              ', ',
            )} for an approval`
          : `checkId '${input.checkId}' is not a check of any loaded policy pack`,
      );
    }
    const expires = Date.parse(input.expiresAt);
    if (!(expires > now.getTime())) {
      throw new InputError('expiresAt must be a date in the future');
    }
    if (expires > now.getTime() + this.deps.maxDays * DAY) {
      throw new InputError(
        `expiresAt may be at most ${this.deps.maxDays} days from now`,
      );
    }
    // Exemptions of entities need the entity; approvals are asked for before the project exists.
    if (kind === 'exemption' && !input.entityRef.startsWith('group:')) {
      const [entity] = await this.deps.catalog.getEntities([input.entityRef]);
      if (!entity)
        throw new NotFoundError(`No entity ${input.entityRef} in the catalog`);
    }
    const open = await this.deps.store.listExemptions({
      entityRef: input.entityRef,
      checkId: input.checkId,
      status: 'pending',
    });
    if (open.length > 0) {
      throw new ConflictError(
        `Exemption ${open[0].id} for ${input.checkId} on ${input.entityRef} is already waiting for a decision`,
      );
    }
    const exemption: Exemption = {
      id: randomUUID(),
      kind,
      entityRef: input.entityRef,
      checkId: input.checkId,
      justification: input.justification,
      compensatingControl: input.compensatingControl,
      requestedBy,
      requestedAt: now.toISOString(),
      expiresAt: new Date(expires).toISOString(),
      status: 'pending',
    };
    await this.deps.store.createExemption(exemption);
    await this.deps.notifier.exemptionRequested({ exemption });
    return exemption;
  }

  async decide(
    id: string,
    decision: { status: 'approved' | 'rejected'; note?: string },
    decidedBy: string,
  ): Promise<Exemption> {
    const existing = await this.deps.store.getExemption(id);
    if (!existing) throw new NotFoundError(`No exemption ${id}`);
    if (existing.requestedBy === decidedBy) {
      throw new NotAllowedError(
        'You requested this exemption; someone else with the approve permission must decide it',
      );
    }
    if (existing.status !== 'pending') {
      throw new ConflictError(`Exemption ${id} was already ${existing.status}`);
    }
    if (
      decision.status === 'approved' &&
      Date.parse(existing.expiresAt) <= this.now().getTime()
    ) {
      throw new ConflictError(
        `Exemption ${id} expired on ${existing.expiresAt} before it was decided; request a new one`,
      );
    }
    const decided = await this.deps.store.transitionExemption(id, 'pending', {
      status: decision.status,
      decidedBy,
      decidedAt: this.now().toISOString(),
      decisionNote: decision.note,
    });
    if (!decided)
      throw new ConflictError(
        `Exemption ${id} was decided by someone else a moment ago`,
      );
    await this.deps.notifier.exemptionDecided({ exemption: decided });
    if (
      decided.kind === 'exemption' &&
      !decided.entityRef.startsWith('group:')
    ) {
      await this.deps.reevaluate(decided.entityRef);
    }
    return decided;
  }

  async revoke(
    id: string,
    revokedBy: string,
    note?: string,
  ): Promise<Exemption> {
    const existing = await this.deps.store.getExemption(id);
    if (!existing) throw new NotFoundError(`No exemption ${id}`);
    const revoked = await this.deps.store.transitionExemption(id, 'approved', {
      status: 'revoked',
      decidedBy: revokedBy,
      decidedAt: this.now().toISOString(),
      decisionNote: note,
    });
    if (!revoked)
      throw new ConflictError(
        `Only approved exemptions can be revoked; ${id} is ${existing.status}`,
      );
    if (!revoked.entityRef.startsWith('group:'))
      await this.deps.reevaluate(revoked.entityRef);
    return revoked;
  }

  /** Tells owners about approved exemptions that expire soon, once each. */
  async notifyExpiring(
    ownerOf: (entityRef: string) => Promise<string | undefined>,
  ): Promise<number> {
    const now = this.now();
    const soon = await this.deps.store.listExpiringUnnotified(
      now.toISOString(),
      new Date(
        now.getTime() + this.deps.warnDaysBeforeExpiry * DAY,
      ).toISOString(),
    );
    for (const exemption of soon) {
      const ownerRef = exemption.entityRef.startsWith('group:')
        ? exemption.entityRef
        : await ownerOf(exemption.entityRef);
      if (ownerRef)
        await this.deps.notifier.exemptionExpiring({ ownerRef, exemption });
      await this.deps.store.markExpiryNotified(exemption.id, now.toISOString());
    }
    return soon.length;
  }
}
