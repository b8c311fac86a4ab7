import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import { Request } from 'express';

/** What each cost permission lets its holder do, for refusals a person can understand. */
const WHAT_IT_ALLOWS: Record<string, string> = {
  'forge.cost.read': 'read cost data',
  'forge.cost.budget.manage': 'set or remove budgets',
  'forge.cost.upload': 'upload billing data',
};

/**
 * Credentials, permissions and audit for the cost routes, written once: every handler asks the guard before it
 * does anything, and changes that matter are recorded as audit events whatever their outcome.
 */
export class CostRouteGuard {
  constructor(
    private readonly options: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      auditor: AuditorService;
    },
  ) {}

  /** The caller's credentials, if the permission is granted to them; NotAllowedError otherwise. */
  async authorize(
    req: Request,
    permission: BasicPermission,
  ): Promise<BackstageCredentials> {
    const credentials = await this.options.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await this.options.permissions.authorize(
      [{ permission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${
          WHAT_IT_ALLOWS[permission.name] ?? 'do this'
        } (${permission.name})`,
      );
    }
    return credentials;
  }

  /**
   * Authorizes, then runs a change as an audit event: success with the metadata the change returns, or failure
   * with its error (a refused permission is audited too).
   */
  async audited<T>(
    req: Request,
    options: { eventId: string; permission: BasicPermission; meta: JsonObject },
    change: (
      credentials: BackstageCredentials,
    ) => Promise<{ result: T; meta?: JsonObject }>,
  ): Promise<T> {
    const event = await this.options.auditor.createEvent({
      eventId: options.eventId,
      severityLevel: 'medium',
      request: req,
      meta: options.meta,
    });
    try {
      const credentials = await this.authorize(req, options.permission);
      const { result, meta } = await change(credentials);
      await event.success({ meta });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }
}

/** Who a request acts for, as an entity ref or a service subject. */
export function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user' && principal.userEntityRef)
    return principal.userEntityRef;
  if (principal.type === 'service' && principal.subject)
    return principal.subject;
  return 'unknown';
}
