import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { stringifyEntityRef } from '@backstage/catalog-model';
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
import {
  MAX_ENTITY_REF_LENGTH,
  normalizeEntityRef,
  rfc3339Timestamp,
  sameEntityRef,
  SCAFFOLDER_SERVICE_ACTOR,
} from '@internal/plugin-forge-node';
import { ComplianceStore } from '../database/ComplianceStore';
import { CatalogReader } from './CatalogReader';
import { canonicalJson } from './hashing';
import { ComplianceNotifier } from './Notifier';
import { PolicyPackLoader } from './PolicyPackLoader';

/**
 * The bounds of a request's fields, for every entry point: the REST body is checked with
 * {@link exemptionRequestSchema}, the actions registry checks an action's input with these same figures first.
 */
export const EXEMPTION_LIMITS = {
  entityRef: MAX_ENTITY_REF_LENGTH,
  checkId: 200,
  text: 4000,
  /** The longest RFC 3339 timestamp (with fractions and an offset) is far shorter. */
  timestamp: 64,
} as const;

const APPROVAL_IDS = new Set<string>(Object.values(APPROVAL_CHECK_IDS));
const DAY = 24 * 3600 * 1000;

/**
 * What a gate approval approves, as the scaffolder gate files it: bounded like every other field. The gate accepts
 * the approval later only for a request that matches it (scaffolder-backend-module-forge evaluateRequest).
 */
export const approvalSubjectSchema = z
  .object({
    templateRef: z.string().max(EXEMPTION_LIMITS.entityRef).nullable(),
    ownerRef: z.string().min(1).max(EXEMPTION_LIMITS.entityRef),
    classification: z.string().max(40).nullable(),
    restrictedSources: z
      .array(z.string().max(EXEMPTION_LIMITS.entityRef))
      .max(50, 'must list at most 50 sources'),
    cost: z
      .object({
        monthlyTotal: z.number().nonnegative().finite(),
        approvalThreshold: z.number().nonnegative().finite(),
        currency: z.string().regex(/^[A-Z]{3}$/, 'must be a currency code such as EUR'),
      })
      .strict()
      .nullable(),
  })
  .strict();

/**
 * What a request for an exemption or approval must look like, wherever it comes from (REST, the MCP action, the
 * scaffolder gate): the rules live here, in the service, so no entry point can store more or less.
 */
export const exemptionRequestSchema = z
  .object({
    kind: z.enum(['exemption', 'approval']).optional(),
    entityRef: z.string().min(1).max(EXEMPTION_LIMITS.entityRef),
    checkId: z.string().min(1).max(EXEMPTION_LIMITS.checkId),
    justification: z
      .string()
      .trim()
      .min(
        20,
        'must explain in at least 20 characters why the risk is acceptable',
      )
      .max(EXEMPTION_LIMITS.text, 'must be at most 4,000 characters'),
    compensatingControl: z
      .string()
      .trim()
      .min(10, 'must name the control that reduces the risk meanwhile')
      .max(EXEMPTION_LIMITS.text, 'must be at most 4,000 characters'),
    expiresAt: rfc3339Timestamp(),
    onBehalfOf: z
      .string()
      .max(EXEMPTION_LIMITS.entityRef)
      .regex(
        /^user:[^/:]+\/[^/:]+$/i,
        'must be a full user reference such as user:default/jane.doe',
      )
      .optional(),
    subject: approvalSubjectSchema.optional(),
  })
  .strict();

/** A decision on a pending exemption or approval. */
export const exemptionDecisionSchema = z
  .object({
    status: z.enum(['approved', 'rejected']),
    note: z
      .string()
      .trim()
      .max(4000, 'must be at most 4,000 characters')
      .optional(),
  })
  .strict();

const revokeNoteSchema = z
  .string()
  .trim()
  .max(4000, 'must be at most 4,000 characters')
  .optional();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `Invalid ${issue.path.length ? issue.path.join('.') : 'request'}: ${
        issue.message
      }`,
    );
  }
  return result.data;
}

/** An actor as Forge records it (see Caller in @internal/plugin-forge-node): people by their normalised ref. */
function normalizeActor(actor: string): string {
  return actor.startsWith('service:')
    ? actor
    : normalizeEntityRef(actor, { defaultKind: 'user', field: 'actor' });
}

/** Requests that only the Forge blueprints may file, with the scaffolder's own service principal. */
function assertFiledByBlueprints(actor: string, what: string) {
  if (actor !== SCAFFOLDER_SERVICE_ACTOR) {
    throw new NotAllowedError(
      `${what} only the Forge blueprints may file (the scaffolder's own service), not ${actor}`,
    );
  }
}

/**
 * The entity ref a request is about, normalised once: an approval or a team-wide exemption names a group or a
 * project that does not exist yet; an exemption of an entity names a component unless it says otherwise.
 */
export function exemptionEntityRef(entityRef: string): string {
  return normalizeEntityRef(entityRef, {
    defaultKind: 'component',
    field: 'entityRef',
  });
}

/** What an audit event says about an exemption after a change (never its free text). */
export function describeExemption(e: Exemption) {
  return {
    exemptionId: e.id,
    kind: e.kind,
    entityRef: e.entityRef,
    checkId: e.checkId,
    status: e.status,
    requestedBy: e.requestedBy,
  };
}

function assertPerson(actor: string, what: string) {
  if (!actor.startsWith('user:')) {
    throw new NotAllowedError(`${what} by people, not by ${actor}`);
  }
}

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

  /**
   * Files a request. `actor` is who calls (a person, or a service such as the scaffolder); the requester recorded is
   * the actor, or the person the scaffolder names in `onBehalfOf`. The caller's permission to request for the
   * entity is the entry point's to check (ForgeGuard); what any request may say is checked here.
   */
  async request(input: ExemptionRequest, actor: string): Promise<Exemption> {
    const valid = parse(exemptionRequestSchema, input);
    const filer = normalizeActor(actor);
    const kind = valid.kind ?? 'exemption';
    let entityRef = exemptionEntityRef(valid.entityRef);
    if (valid.onBehalfOf !== undefined) {
      assertFiledByBlueprints(filer, 'Requests on behalf of someone else');
    }
    if (kind === 'approval') {
      assertFiledByBlueprints(filer, 'Approvals');
    } else if (entityRef.startsWith('group:')) {
      assertFiledByBlueprints(filer, 'Team-wide exemptions');
    }
    if (kind !== 'approval' && valid.subject !== undefined) {
      throw new InputError(
        'subject is for gate approvals only: an exemption covers a check of an entity, not a request',
      );
    }
    // Refs in the subject are compared by the gate later: normalised once, here.
    const subject = valid.subject && {
      ...valid.subject,
      templateRef:
        valid.subject.templateRef &&
        normalizeEntityRef(valid.subject.templateRef, {
          defaultKind: 'template',
          field: 'subject.templateRef',
        }),
      ownerRef: normalizeEntityRef(valid.subject.ownerRef, {
        defaultKind: 'group',
        field: 'subject.ownerRef',
      }),
      restrictedSources: [
        ...new Set(
          valid.subject.restrictedSources.map(r =>
            normalizeEntityRef(r, {
              defaultKind: 'resource',
              field: 'subject.restrictedSources',
            }),
          ),
        ),
      ].sort(),
    };
    const requestedBy =
      valid.onBehalfOf === undefined
        ? filer
        : normalizeEntityRef(valid.onBehalfOf, {
            defaultKind: 'user',
            field: 'onBehalfOf',
          });
    if (!requestedBy.startsWith('user:') && valid.onBehalfOf !== undefined) {
      throw new InputError(
        `onBehalfOf must name a person such as user:default/jane.doe, not ${requestedBy}`,
      );
    }
    const { checkId } = valid;
    const now = this.now();
    const known = new Set(
      this.deps.loader.policy.packs.flatMap(p => p.checks.map(c => c.id)),
    );
    if (
      kind === 'approval' ? !APPROVAL_IDS.has(checkId) : !known.has(checkId)
    ) {
      throw new InputError(
        kind === 'approval'
          ? `checkId must be one of ${[...APPROVAL_IDS].join(
              ', ',
            )} for an approval`
          : `checkId '${checkId}' is not a check of any loaded policy pack`,
      );
    }
    const expires = Date.parse(valid.expiresAt);
    if (!(expires > now.getTime())) {
      throw new InputError('expiresAt must be a date in the future');
    }
    if (expires > now.getTime() + this.deps.maxDays * DAY) {
      throw new InputError(
        `expiresAt may be at most ${this.deps.maxDays} days from now`,
      );
    }
    // Exemptions of entities need the entity, and are kept under the catalog's own spelling of its ref; approvals
    // are asked for before the project exists.
    if (kind === 'exemption' && !entityRef.startsWith('group:')) {
      const [entity] = await this.deps.catalog.getEntities([entityRef]);
      if (!entity)
        throw new NotFoundError(`No entity ${entityRef} in the catalog`);
      entityRef = stringifyEntityRef(entity);
    }
    // One pending request per entity and check; for approvals, per requester and request approved: another
    // person's request, or the same person's for a different template, data or cost, is a request of its own.
    const open = (
      await this.deps.store.listExemptions({
        entityRef: entityRef,
        checkId: checkId,
        status: 'pending',
      })
    ).filter(
      e =>
        kind !== 'approval' ||
        (sameEntityRef(e.requestedBy, requestedBy) &&
          canonicalJson(e.subject ?? null) === canonicalJson(subject ?? null)),
    );
    if (open.length > 0) {
      throw new ConflictError(
        `Exemption ${open[0].id} for ${checkId} on ${entityRef} is already waiting for a decision`,
      );
    }
    const exemption: Exemption = {
      id: randomUUID(),
      kind,
      entityRef: entityRef,
      checkId: checkId,
      justification: valid.justification,
      compensatingControl: valid.compensatingControl,
      requestedBy,
      requestedAt: now.toISOString(),
      expiresAt: new Date(expires).toISOString(),
      status: 'pending',
      ...(subject ? { subject } : {}),
    };
    await this.deps.store.createExemption(exemption);
    await this.deps.notifier.exemptionRequested({ exemption });
    return exemption;
  }

  /**
   * Decides a pending request: four eyes, so a person other than the requester (compared as the catalog compares
   * refs, without regard to case), and never a service.
   */
  async decide(
    id: string,
    input: { status: 'approved' | 'rejected'; note?: string },
    actor: string,
  ): Promise<Exemption> {
    const decision = parse(exemptionDecisionSchema, input);
    const decidedBy = normalizeActor(actor);
    assertPerson(decidedBy, 'Exemptions and approvals are decided');
    const existing = await this.deps.store.getExemption(id);
    if (!existing) throw new NotFoundError(`No exemption ${id}`);
    if (sameEntityRef(existing.requestedBy, decidedBy)) {
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

  /** Revokes an approved exemption (a person with the approve permission; never a service). */
  async revoke(id: string, actor: string, note?: string): Promise<Exemption> {
    const revokedBy = normalizeActor(actor);
    assertPerson(revokedBy, 'Exemptions are revoked');
    const decisionNote = parse(revokeNoteSchema, note);
    const existing = await this.deps.store.getExemption(id);
    if (!existing) throw new NotFoundError(`No exemption ${id}`);
    const revoked = await this.deps.store.transitionExemption(id, 'approved', {
      status: 'revoked',
      decidedBy: revokedBy,
      decidedAt: this.now().toISOString(),
      decisionNote,
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
