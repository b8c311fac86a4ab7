import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { BasicPermission } from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import { ForgeGuard } from '@internal/plugin-forge-node';
import { Request } from 'express';

export { actorOf } from '@internal/plugin-forge-node';

/**
 * The cost routes' view of the shared ForgeGuard (`@internal/plugin-forge-node`): every decision (people by the
 * permission policy, services by `forge.permissions.services`), every audit event and the actor's name are the
 * guard's; this class only keeps the call shape the cost router was written against (a change returns its result
 * and the metadata to audit).
 */
export class CostRouteGuard {
  readonly guard: ForgeGuard;

  constructor(options: {
    httpAuth: HttpAuthService;
    permissions: PermissionsService;
    auditor: AuditorService;
    /** The root config, for `forge.permissions.services`; without it services get only the built-in defaults. */
    config?: Config;
  }) {
    this.guard = ForgeGuard.fromConfig(
      options.config ?? new ConfigReader({}),
      options,
    );
  }

  /** The caller's credentials, if the permission is granted to them; NotAllowedError (audited) otherwise. */
  async authorize(
    req: Request,
    permission: BasicPermission,
  ): Promise<BackstageCredentials> {
    return (await this.guard.authorize(req, permission)).credentials;
  }

  /**
   * Authorizes, then runs a change as an audit event: success with the metadata the change returns, or failure
   * with its error (a refused permission is audited as `permission-denied`).
   */
  async audited<T>(
    req: Request,
    options: { eventId: string; permission: BasicPermission; meta: JsonObject },
    change: (
      credentials: BackstageCredentials,
    ) => Promise<{ result: T; meta?: JsonObject }>,
  ): Promise<T> {
    const outcome = await this.guard.audited(
      req,
      {
        eventId: options.eventId,
        permission: options.permission,
        meta: options.meta,
        describe: (done: { meta?: JsonObject }) => done.meta ?? {},
      },
      caller => change(caller.credentials),
    );
    return outcome.result;
  }
}
