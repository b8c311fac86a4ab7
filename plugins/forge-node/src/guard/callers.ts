import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { normalizeEntityRef } from './entityRefs';

/**
 * Who is calling a Forge entry point, named the one way Forge records it everywhere (stored records, audit events,
 * notifications): `user:<namespace>/<name>` for people, `service:<subject>` for service principals (`service:ci`
 * for a static token, `service:plugin:scaffolder` for a plugin calling with its own token).
 *
 * @public
 */
export type Caller =
  | {
      type: 'user';
      actor: string;
      userEntityRef: string;
      credentials: BackstageCredentials;
    }
  | {
      type: 'service';
      actor: string;
      subject: string;
      credentials: BackstageCredentials;
    };

/**
 * The actor name of the scaffolder's own service principal: the only caller that may file approvals and act on
 * behalf of the person who ran a blueprint.
 *
 * @public
 */
export const SCAFFOLDER_SERVICE_ACTOR = 'service:plugin:scaffolder';

/**
 * The caller behind credentials. Requests without credentials never get this far (the guard refuses them first).
 *
 * @public
 */
export function callerOf(credentials: BackstageCredentials): Caller {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user' && principal.userEntityRef) {
    const userEntityRef = normalizeEntityRef(principal.userEntityRef, {
      defaultKind: 'user',
      field: 'userEntityRef',
    });
    return { type: 'user', actor: userEntityRef, userEntityRef, credentials };
  }
  if (principal.type === 'service' && principal.subject) {
    return {
      type: 'service',
      actor: `service:${principal.subject}`,
      subject: principal.subject,
      credentials,
    };
  }
  throw new TypeError(
    `Forge records only users and services as actors, not '${principal.type}'`,
  );
}

/**
 * The actor name of credentials (see {@link Caller}).
 *
 * @public
 */
export function actorOf(credentials: BackstageCredentials): string {
  return callerOf(credentials).actor;
}
