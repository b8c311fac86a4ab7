import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';

/** The roles of the Forge permission policy, most privileged first. */
export const FORGE_ROLES = ['admin', 'compliance', 'security'] as const;

/**
 * A role a signed-in person holds. Everyone signed in is a `member`; the others come from membership of the
 * groups configured for them (directly or through any nested sub-team).
 */
export type ForgeRole = (typeof FORGE_ROLES)[number] | 'member';

/** Which groups grant which role. */
export type RoleGroups = Record<(typeof FORGE_ROLES)[number], string[]>;

const DEFAULT_ROLE_GROUPS: RoleGroups = {
  admin: ['group:default/platform-admins'],
  compliance: ['group:default/compliance-risk'],
  security: ['group:default/security'],
};

const groupRef = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    try {
      return stringifyEntityRef(
        parseEntityRef(value, {
          defaultKind: 'group',
          defaultNamespace: 'default',
        }),
      );
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `'${value}' is not an entity reference`,
      });
      return z.NEVER;
    }
  });

const roleGroupsSchema = z
  .object({
    admin: z.array(groupRef).optional(),
    compliance: z.array(groupRef).optional(),
    security: z.array(groupRef).optional(),
  })
  .strict();

/** Reads `forge.permissions.roles` from config, falling back to the demo organisation's groups. */
export function readRoleGroups(config: Config): RoleGroups {
  const raw = config.getOptional('forge.permissions.roles');
  if (raw === undefined) {
    return DEFAULT_ROLE_GROUPS;
  }
  const parsed = roleGroupsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `Invalid forge.permissions.roles.${issue.path.join('.')}: ${
        issue.message
      }. ` +
        `Expected e.g. { admin: ['group:default/platform-admins'], compliance: [...], security: [...] }`,
    );
  }
  return {
    admin: parsed.data.admin ?? DEFAULT_ROLE_GROUPS.admin,
    compliance: parsed.data.compliance ?? DEFAULT_ROLE_GROUPS.compliance,
    security: parsed.data.security ?? DEFAULT_ROLE_GROUPS.security,
  };
}

/** A group and its parent, as read from the catalog (`spec.parent`). */
export type GroupParentLink = { ref: string; parent?: string };

/**
 * Expands a set of group refs to include every ancestor group, so that a member of a nested sub-team holds the
 * roles of the teams above it. Cycles in bad catalog data are tolerated.
 */
export function withAncestors(
  groups: Iterable<string>,
  links: GroupParentLink[],
): Set<string> {
  const parentOf = new Map(links.map(l => [l.ref, l.parent]));
  const result = new Set<string>();
  for (const start of groups) {
    let current: string | undefined = start;
    while (current && !result.has(current)) {
      result.add(current);
      current = parentOf.get(current);
    }
  }
  return result;
}

/** Works out the roles of a person from the groups they belong to. */
export function rolesFromGroups(
  memberOf: Iterable<string>,
  links: GroupParentLink[],
  roleGroups: RoleGroups,
): Set<ForgeRole> {
  const all = withAncestors(memberOf, links);
  const roles = new Set<ForgeRole>(['member']);
  for (const role of FORGE_ROLES) {
    if (roleGroups[role].some(g => all.has(g))) {
      roles.add(role);
    }
  }
  return roles;
}
