import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { ForgeRole } from './roles';

/** Who is behind a request: their Forge roles and the refs they own through (user and groups). */
export type Person = { roles: Set<ForgeRole>; ownershipRefs: string[] };

/** Finds the person behind a policy query. */
export interface PersonResolver {
  resolve(user: PolicyQueryUser): Promise<Person>;
}

/** One rule of the policy: what a person may do with one permission. */
type Rule = (permission: Permission, person: Person) => PolicyDecision;

const allow: PolicyDecision = { result: AuthorizeResult.ALLOW };
const deny: PolicyDecision = { result: AuthorizeResult.DENY };

const everyone: Rule = () => allow;
const nobody: Rule = () => deny;
/** Allowed to anyone holding one of the roles (admins always are). */
export const onlyRoles =
  (...roles: ForgeRole[]): Rule =>
  (_permission, person) =>
    roles.some(r => person.roles.has(r)) ? allow : deny;
/** Allowed on catalog entities the person owns, directly or through a group. */
const ownersOfEntity: Rule = (permission, person) =>
  isResourcePermission(permission, 'catalog-entity')
    ? createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims: person.ownershipRefs }),
      )
    : deny;

/**
 * Rules by permission name. A permission not listed follows the default: reading is allowed to every signed-in
 * person, anything else is reserved to platform admins. Each Forge feature adds its permissions here.
 */
const RULES: Record<string, Rule> = {
  // Anyone may register and refresh catalog entities and run blueprints; removing what is registered is limited
  // to an entity's owners, and removing whole locations to admins.
  'catalog.entity.create': everyone,
  'catalog.entity.refresh': everyone,
  'catalog.entity.validate': everyone,
  'catalog.location.create': everyone,
  'catalog.location.analyze': everyone,
  [catalogEntityDeletePermission.name]: ownersOfEntity,
  [catalogLocationDeletePermission.name]: nobody,
  'scaffolder.task.create': everyone,
  'scaffolder.task.cancel': everyone,
  'scaffolder.action.execute': everyone,
  'scaffolder.template.parameter.read': everyone,
  'scaffolder.template.step.read': everyone,

  // Compliance (plugins/compliance-common/src/permissions.ts). Pushing facts is for service principals (CI,
  // scanners), which the permission framework lets through without consulting the policy.
  'forge.compliance.scorecard.read': everyone,
  'forge.compliance.evaluate': everyone,
  'forge.compliance.exemption.request': ownersOfEntity,
  'forge.compliance.exemption.approve': onlyRoles('compliance'),
  'forge.compliance.evidence.export': onlyRoles('compliance', 'security'),
  'forge.compliance.facts.push': nobody,

  // Cost (plugins/cost-insights-common/src/permissions.ts).
  'forge.cost.read': everyone,
  'forge.cost.budget.manage': nobody,
  'forge.cost.upload': nobody,
};

function isRead(permission: Permission): boolean {
  return (
    permission.attributes.action === 'read' || permission.name.endsWith('.read')
  );
}

/**
 * The Forge permission policy: roles come from catalog group membership (see `roles.ts`), decisions from the
 * rules table above. Not allow-all: a permission nobody thought about is readable but not writable.
 */
export class ForgePermissionPolicy implements PermissionPolicy {
  constructor(private readonly people: PersonResolver) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) {
      return deny;
    }
    const person = await this.people.resolve(user);
    if (person.roles.has('admin')) {
      return allow;
    }
    const rule = RULES[request.permission.name];
    if (rule) {
      return rule(request.permission, person);
    }
    return isRead(request.permission) ? allow : deny;
  }
}
