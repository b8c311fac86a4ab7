import { Config } from '@backstage/config';
import { z } from 'zod';

/**
 * What the scaffolder (the Forge blueprints, calling with its own plugin token) needs from Forge: read policy packs
 * and exemptions, score a newly registered project, leave its first evidence (secret scan, SBOM; compliance accepts
 * it only for a project first seen within the hour), file gate approvals for the person who ran the blueprint and
 * leave the gate's evidence. Nothing else; `forge.permissions.services` may replace it.
 *
 * @public
 */
export const DEFAULT_SERVICE_PERMISSIONS: Readonly<
  Record<string, readonly string[]>
> = {
  'plugin:scaffolder': [
    'forge.compliance.scorecard.read',
    'forge.compliance.evaluate',
    'forge.compliance.facts.push',
    'forge.compliance.exemption.request',
    'forge.compliance.gate.record',
  ],
  // The outcomes collector reads compliance (failing checks, exemptions, policy packs) and budgets, and times the
  // organisation-wide evidence export without receiving the evidence (forge.compliance.evidence.time, not
  // .export: an outcomes figure needs the duration, not every exemption's justification). It changes nothing.
  'plugin:outcomes': [
    'forge.compliance.scorecard.read',
    'forge.compliance.evidence.time',
    'forge.cost.read',
  ],
};

const servicesSchema = z.record(
  z.string().regex(/^\S+$/, 'a subject has no spaces'),
  z.array(
    z
      .string()
      .regex(
        /^forge\.[a-z0-9.-]+$/,
        'must be a Forge permission name such as forge.compliance.facts.push',
      ),
  ),
);

/**
 * Least privilege for machine callers. Backstage lets every service principal through every permission check
 * without asking the permission policy (ServerPermissionClient decides for services from their token's
 * `accessRestrictions` alone, and a token without restrictions gets everything). Forge does not rely on every token
 * being configured right: each service subject gets exactly the Forge permissions listed for it under
 * `forge.permissions.services` (plus the scaffolder's defaults), and a subject not listed gets none.
 *
 * @public
 */
export class ServicePermissions {
  private constructor(
    private readonly allowed: ReadonlyMap<string, ReadonlySet<string>>,
  ) {}

  static fromConfig(config: Config): ServicePermissions {
    const raw = config.getOptional('forge.permissions.services') ?? {};
    const parsed = servicesSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `Invalid forge.permissions.services.${issue.path.join('.')}: ${
          issue.message
        }. Expected e.g. { ci: [forge.compliance.facts.push] }`,
      );
    }
    assertNoExternalTokenPosesAsPlugin(config);
    return ServicePermissions.fromMap({
      ...DEFAULT_SERVICE_PERMISSIONS,
      ...parsed.data,
    });
  }

  static fromMap(map: Record<string, readonly string[]>): ServicePermissions {
    return new ServicePermissions(
      new Map(Object.entries(map).map(([s, names]) => [s, new Set(names)])),
    );
  }

  /** Whether the service `subject` (as in its credentials, e.g. `ci`, `plugin:scaffolder`) holds a permission. */
  allows(subject: string, permissionName: string): boolean {
    return this.allowed.get(subject)?.has(permissionName) ?? false;
  }
}

/**
 * A static external token whose subject starts with `plugin:` would be taken for a Backstage plugin (the scaffolder's
 * own token, say) and inherit what that plugin may do: refuse to start rather than run that way.
 */
function assertNoExternalTokenPosesAsPlugin(config: Config) {
  const entries = config.getOptionalConfigArray('backend.auth.externalAccess');
  for (const entry of entries ?? []) {
    const subject = entry.getOptionalString('options.subject');
    if (subject?.startsWith('plugin:')) {
      throw new Error(
        `backend.auth.externalAccess: the subject '${subject}' of a ${entry.getOptionalString(
          'type',
        )} token looks like a Backstage plugin; name external callers without the 'plugin:' prefix (e.g. 'ci')`,
      );
    }
  }
}
