import type { Request } from 'express';
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
  ResourcePermission,
} from '@backstage/plugin-permission-common';

/** Who is calling, in the form stored in records: a user ref, or `service:<subject>`. */
export function principalOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.type === 'user'
    ? p.userEntityRef!
    : `service:${p.subject ?? 'unknown'}`;
}

/**
 * Credentials, permission and audit for every route, written once: `authorize` returns the caller's credentials
 * or throws NotAllowedError; `audit` wraps a change in an audit event that records success or failure.
 */
export function createRequestContext(deps: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}) {
  async function authorize(
    req: Request,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ): Promise<BackstageCredentials> {
    // Users and services only: a request without credentials never reaches a permission check.
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await deps.permissions.authorize(
      [
        resourceRef
          ? { permission: permission as ResourcePermission, resourceRef }
          : { permission: permission as BasicPermission },
      ],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${permission.name
          .replace(/^forge\.compliance\./, '')
          .replace(/\./g, ' ')}`,
      );
    }
    return credentials;
  }

  async function audit<T>(
    req: Request,
    eventId: string,
    meta: JsonObject,
    change: () => Promise<T>,
    severityLevel: 'low' | 'medium' | 'high' = 'medium',
  ): Promise<T> {
    const event = await deps.auditor.createEvent({
      eventId,
      request: req,
      severityLevel,
      meta,
    });
    try {
      const result = await change();
      await event.success();
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  return { authorize, audit };
}
