import type { Request } from 'express';
import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import { Caller, callerOf, SCAFFOLDER_SERVICE_ACTOR } from './callers';
import { identityFieldsIn } from './identityFields';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './jsonBody';
import { ServicePermissions } from './ServicePermissions';

/**
 * Where a call comes in: an HTTP request of a router, or an action of the actions registry (MCP) with the caller's
 * credentials, the action's name and its input (checked for identity fields like a request's body).
 *
 * @public
 */
export type GuardEntry =
  | Request
  | { credentials: BackstageCredentials; action: string; input?: unknown };

/**
 * What an entry point accepts beyond its permission: `onBehalfOf` at the top of its body (only ever from the
 * scaffolder's own service), and top-level body fields that hold free-form data (a fact's findings), never read as
 * who acts.
 *
 * @public
 */
export type GuardOptions = {
  resourceRef?: string;
  onBehalfOf?: boolean;
  freeForm?: string[];
};

/** @public */
export type GuardedPermission = BasicPermission | ResourcePermission;

/**
 * What each Forge permission lets its holder do, for refusals a person can act on. A permission missing here is
 * described by its name.
 */
const WHAT_IT_ALLOWS: Record<string, string> = {
  'forge.compliance.scorecard.read': 'read compliance scorecards',
  'forge.compliance.evaluate': 'evaluate compliance on demand',
  'forge.compliance.exemption.request':
    'request a compliance exemption for this entity (its owners may)',
  'forge.compliance.exemption.approve':
    'decide compliance exemptions and approvals (the compliance role may)',
  'forge.compliance.evidence.export':
    'export compliance evidence or verify the history (compliance and security may)',
  'forge.compliance.evidence.time':
    'time an evidence export (only the outcomes collector may)',
  'forge.compliance.facts.push': 'push compliance facts',
  'forge.compliance.policy.reload': 'reload policy packs (admins may)',
  'forge.compliance.gate.record':
    'record blueprint gate evaluations (only the Forge blueprints may)',
  'forge.cost.read': 'read cost data',
  'forge.cost.budget.manage': 'set or remove budgets (admins may)',
  'forge.cost.upload': 'upload billing data (admins may)',
  'scaffolder.task.create': 'run blueprints',
  'forge.outcomes.read': "read your teams' outcomes",
  'forge.outcomes.org.read':
    'read the outcomes of the organisation and of teams other than yours (the platform lead, compliance and security may)',
  'forge.outcomes.survey.respond': 'answer the satisfaction question',
};

function isRequest(entry: GuardEntry): entry is Request {
  return 'headers' in entry;
}

/**
 * Permission, audit and actor naming for every Forge entry point, written once: each router and each action asks
 * the guard before it does anything, so a new entry point cannot skip a rule.
 *
 * - People are decided by the permission policy (ForgePermissionPolicy, roles from catalog groups).
 * - Services are decided by `forge.permissions.services` first (see {@link ServicePermissions}) and then by
 *   Backstage (their token's `accessRestrictions`): both must allow.
 * - Every refusal is an audit event (`permission-denied`); every change that matters is one too, with its outcome.
 * - The actor is named the same way everywhere (see {@link Caller}) and recorded in each event's `meta.actor`, also
 *   for actions, which have no request the auditor could read it from.
 *
 * @public
 */
export class ForgeGuard {
  constructor(
    private readonly deps: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      auditor: AuditorService;
      services: ServicePermissions;
    },
  ) {}

  static fromConfig(
    config: Config,
    deps: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      auditor: AuditorService;
    },
  ): ForgeGuard {
    return new ForgeGuard({
      ...deps,
      services: ServicePermissions.fromConfig(config),
    });
  }

  /** The caller of an entry point, without a permission check. Anonymous requests are refused (401). */
  async caller(entry: GuardEntry): Promise<Caller> {
    if (isRequest(entry)) {
      return callerOf(
        await this.deps.httpAuth.credentials(entry, {
          allow: ['user', 'service'],
        }),
      );
    }
    if ((entry.credentials.principal as { type?: string }).type === 'none') {
      throw new NotAllowedError(`${entry.action} needs a signed-in caller`);
    }
    return callerOf(entry.credentials);
  }

  /**
   * The caller, if they hold the permission (on `resourceRef` for a resource permission) and the request names no
   * one else as who acts (see {@link ForgeGuard.refuseIdentityFields}); NotAllowedError or InputError, after an audit
   * event, otherwise.
   */
  async authorize(
    entry: GuardEntry,
    permission: GuardedPermission,
    options: GuardOptions = {},
  ): Promise<Caller> {
    const caller = await this.caller(entry);
    const refusal = await this.refusal(caller, permission, options.resourceRef);
    if (refusal) {
      const event = await this.deps.auditor.createEvent({
        eventId: 'permission-denied',
        severityLevel: 'medium',
        request: isRequest(entry) ? entry : undefined,
        meta: this.meta(entry, caller, {
          permission: permission.name,
          ...(options.resourceRef ? { resourceRef: options.resourceRef } : {}),
        }),
      });
      await event.fail({ error: refusal });
      throw refusal;
    }
    await this.refuseIdentityFields(entry, caller, permission, options);
    return caller;
  }

  /**
   * Who acts is the caller's credentials, never what a request says: a field naming who acts or asked (onBehalfOf,
   * requestedBy, actor, decidedBy... in any letter case or spelling, see identityFields.ts) in the query string, a
   * header or anywhere in the body (or an action's input) is refused and audited as `identity-field-refused`. The
   * one exception is `onBehalfOf` at the top of the body of an entry point that takes it, from the scaffolder's own
   * service: anyone else sending it there is refused with 403, anything else with 400.
   */
  private async refuseIdentityFields(
    entry: GuardEntry,
    caller: Caller,
    permission: GuardedPermission,
    options: GuardOptions,
  ): Promise<void> {
    // An action's input reaches Forge through the actions registry's own JSON parser (size-bounded, not
    // depth-bounded): bounded here as every router's jsonBody bounds a request body.
    if (!isRequest(entry) && exceedsJsonDepth(entry.input, MAX_JSON_DEPTH)) {
      throw new InputError(
        `The input of ${entry.action} nests JSON deeper than ${MAX_JSON_DEPTH} levels; flatten it`,
      );
    }
    const found = identityFieldsIn(
      isRequest(entry)
        ? {
            query: entry.query,
            headers: entry.headers,
            body: entry.body,
            freeForm: options.freeForm,
          }
        : { body: entry.input, freeForm: options.freeForm },
    );
    const onBehalfOfAllowed =
      options.onBehalfOf && caller.actor === SCAFFOLDER_SERVICE_ACTOR;
    const refused = found.filter(
      where => !(onBehalfOfAllowed && where === 'body.onBehalfOf'),
    );
    if (refused.length === 0) return;
    const shown = refused.map(where => where.replace(/^body\./, '')).join(', ');
    const error =
      options.onBehalfOf && refused.includes('body.onBehalfOf')
        ? new NotAllowedError(
            `Only the Forge blueprints (the scaffolder's own service) may file on behalf of someone else, not ` +
              `${caller.actor}; remove onBehalfOf and the request is filed under your own name`,
          )
        : new InputError(
            `${shown} would name who acts or asked; Forge takes that only from your credentials, so remove ` +
              `${
                refused.length > 1 ? 'them' : 'it'
              } and send the request again`,
          );
    const event = await this.deps.auditor.createEvent({
      eventId: 'identity-field-refused',
      severityLevel: 'high',
      request: isRequest(entry) ? entry : undefined,
      meta: this.meta(entry, caller, {
        permission: permission.name,
        fields: refused,
      }),
    });
    await event.fail({ error });
    throw error;
  }

  /**
   * Whether the caller holds a permission, decided exactly as {@link ForgeGuard.authorize} decides, but quietly (no
   * audit event, no error): for what to offer a person (which teams, which scopes), not for an attempt.
   */
  async allows(
    caller: Caller,
    permission: GuardedPermission,
    options: { resourceRef?: string } = {},
  ): Promise<boolean> {
    return !(await this.refusal(caller, permission, options.resourceRef));
  }

  /**
   * Refuses a caller by a rule that is not a permission (a person may own projects only for their own teams, only
   * people answer a survey): audited as `eventId` with the caller's one name, like a refused permission, then thrown.
   */
  async refuse(
    entry: GuardEntry,
    caller: Caller,
    refusal: NotAllowedError,
    options: { eventId?: string; meta?: JsonObject } = {},
  ): Promise<never> {
    const event = await this.deps.auditor.createEvent({
      eventId: options.eventId ?? 'permission-denied',
      severityLevel: 'medium',
      request: isRequest(entry) ? entry : undefined,
      meta: this.meta(entry, caller, options.meta ?? {}),
    });
    await event.fail({ error: refusal });
    throw refusal;
  }

  /**
   * Authorizes, then runs a change as an audit event that records its outcome: success (with what `describe` says
   * about the result) or failure with the error. A refusal is audited by {@link ForgeGuard.authorize}.
   */
  async audited<T>(
    entry: GuardEntry,
    options: GuardOptions & {
      eventId: string;
      permission: GuardedPermission;
      severityLevel?: AuditorServiceEventSeverityLevel;
      meta?: JsonObject;
      describe?: (result: T) => JsonObject;
    },
    change: (caller: Caller) => Promise<T>,
  ): Promise<T> {
    const caller = await this.authorize(entry, options.permission, {
      resourceRef: options.resourceRef,
      onBehalfOf: options.onBehalfOf,
      freeForm: options.freeForm,
    });
    return this.record(entry, caller, options, () => change(caller));
  }

  /**
   * Runs a change of an already authorized caller as an audit event (for a route whose permission depends on what
   * the body says, checked with {@link ForgeGuard.authorize} first).
   */
  async record<T>(
    entry: GuardEntry,
    caller: Caller,
    options: {
      eventId: string;
      severityLevel?: AuditorServiceEventSeverityLevel;
      meta?: JsonObject;
      describe?: (result: T) => JsonObject;
    },
    change: () => Promise<T>,
  ): Promise<T> {
    const event = await this.deps.auditor.createEvent({
      eventId: options.eventId,
      severityLevel: options.severityLevel ?? 'medium',
      request: isRequest(entry) ? entry : undefined,
      meta: this.meta(entry, caller, options.meta ?? {}),
    });
    try {
      const result = await change();
      await event.success({ meta: options.describe?.(result) ?? {} });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  private meta(entry: GuardEntry, caller: Caller, meta: JsonObject) {
    return {
      ...meta,
      actor: caller.actor,
      ...(isRequest(entry) ? {} : { action: entry.action }),
    };
  }

  private async refusal(
    caller: Caller,
    permission: GuardedPermission,
    resourceRef: string | undefined,
  ): Promise<NotAllowedError | undefined> {
    if (permission.type === 'resource' && !resourceRef) {
      throw new TypeError(
        `${permission.name} is a resource permission: authorize it for a resourceRef`,
      );
    }
    const what = WHAT_IT_ALLOWS[permission.name] ?? permission.name;
    if (
      caller.type === 'service' &&
      !this.deps.services.allows(caller.subject, permission.name)
    ) {
      return new NotAllowedError(
        `The service '${caller.subject}' may not ${what} (${permission.name}); Forge grants services only what ` +
          `forge.permissions.services lists for them`,
      );
    }
    const [decision] = await this.deps.permissions.authorize(
      [
        permission.type === 'resource'
          ? { permission, resourceRef: resourceRef! }
          : { permission },
      ],
      { credentials: caller.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      return new NotAllowedError(
        `You are not allowed to ${what} (${permission.name})`,
      );
    }
    return undefined;
  }
}
