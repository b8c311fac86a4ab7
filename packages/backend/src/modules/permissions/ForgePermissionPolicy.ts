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
import {
  createScaffolderTaskConditionalDecision,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { ForgeRole } from './roles';

/** Who is behind a request: their Forge roles and the refs they own through (user and groups). */
export type Person = { roles: Set<ForgeRole>; ownershipRefs: string[] };

/** Finds the person behind a policy query. */
export interface PersonResolver {
  resolve(user: PolicyQueryUser): Promise<Person>;
}

/** One rule of the policy: what a person may do with one permission. */
type Rule = (
  permission: Permission,
  person: Person,
  user: PolicyQueryUser,
) => PolicyDecision;

const allow: PolicyDecision = { result: AuthorizeResult.ALLOW };
const deny: PolicyDecision = { result: AuthorizeResult.DENY };

const everyone: Rule = () => allow;
const nobody: Rule = () => deny;
/** Allowed to anyone holding one of the roles, and to nobody else (admins included, unless listed). */
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

/** Admins may; anyone else only on catalog entities they own. */
const adminsOrOwnersOfEntity: Rule = (permission, person, user) =>
  person.roles.has('admin') ? allow : ownersOfEntity(permission, person, user);

/**
 * Admins may; anyone else only on the blueprint runs (scaffolder tasks) they started themselves. A run holds the
 * values its author entered and its log; cancelling or retrying it acts for that author.
 */
const adminsOrCreatorOfTask: Rule = (permission, person, user) => {
  if (person.roles.has('admin')) return allow;
  const userRef = user.info?.userEntityRef;
  return userRef && isResourcePermission(permission, 'scaffolder-task')
    ? createScaffolderTaskConditionalDecision(
        permission,
        scaffolderTaskConditions.isTaskOwner({ createdBy: [userRef] }),
      )
    : deny;
};

/**
 * Rules by permission name. A permission not listed follows the default: reading is allowed to every signed-in
 * person, anything else is reserved to platform admins. Each Forge feature adds its permissions here.
 *
 * Segregation of duties: platform admins run the platform, they do not hold every permission. Deciding exemptions
 * and gate approvals is the compliance role's alone, evidence is exported by compliance and security, and facts and
 * gate evidence come only from the services granted them (forge.permissions.services), never from a person: an
 * admin who could also approve, or write the scan results an approval rests on, would be judge of their own case.
 */
const RULES: Readonly<Record<string, Rule>> = {
  // Anyone may register and refresh catalog entities and run blueprints; removing what is registered is limited
  // to an entity's owners and admins, and removing whole locations to admins.
  'catalog.entity.create': everyone,
  'catalog.entity.refresh': everyone,
  'catalog.entity.validate': everyone,
  'catalog.location.create': everyone,
  'catalog.location.analyze': everyone,
  [catalogEntityDeletePermission.name]: adminsOrOwnersOfEntity,
  [catalogLocationDeletePermission.name]: onlyRoles('admin'),
  // A blueprint run is its author's (and admins'): reading it, its log and event stream, listing it (the scaffolder
  // filters the list), retrying it (read + create) and cancelling it. Services are not asked (Backstage lets plugin
  // tokens through): the outcomes collector keeps reading every run.
  'scaffolder.task.create': everyone,
  'scaffolder.task.read': adminsOrCreatorOfTask,
  'scaffolder.task.cancel': adminsOrCreatorOfTask,
  'scaffolder.action.execute': everyone,
  'scaffolder.template.parameter.read': everyone,
  'scaffolder.template.step.read': everyone,

  // Compliance (plugins/compliance-common/src/permissions.ts). Pushing facts and recording gate evidence are for
  // the services forge.permissions.services grants them (CI, the scaffolder); services never reach this policy,
  // ForgeGuard decides them.
  'forge.compliance.scorecard.read': everyone,
  'forge.compliance.evaluate': everyone,
  'forge.compliance.exemption.request': ownersOfEntity,
  'forge.compliance.exemption.approve': onlyRoles('compliance'),
  'forge.compliance.evidence.export': onlyRoles('compliance', 'security'),
  'forge.compliance.evidence.time': onlyRoles('compliance', 'security'),
  'forge.compliance.facts.push': nobody,
  'forge.compliance.gate.record': nobody,
  'forge.compliance.policy.reload': onlyRoles('admin'),

  // Cost (plugins/cost-insights-common/src/permissions.ts).
  'forge.cost.read': everyone,
  'forge.cost.budget.manage': onlyRoles('admin'),
  'forge.cost.upload': onlyRoles('admin'),

  // Outcomes (plugins/outcomes-common/src/permissions.ts): everyone sees their own teams' figures; the organisation
  // and other teams are for the platform lead (admin) and the roles that answer for the whole organisation.
  'forge.outcomes.read': everyone,
  'forge.outcomes.org.read': onlyRoles('admin', 'compliance', 'security'),
  'forge.outcomes.survey.respond': everyone,
};

function isRead(permission: Permission): boolean {
  return (
    permission.attributes.action === 'read' || permission.name.endsWith('.read')
  );
}

/**
 * The Forge permission policy: roles come from catalog group membership (see `roles.ts`), decisions from the
 * rules table above. Not allow-all: a permission nobody thought about is readable by everyone and writable by
 * admins only; no role, admins included, is let through the table.
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
    const rule = RULES[request.permission.name];
    if (rule) {
      return rule(request.permission, person, user);
    }
    if (isRead(request.permission)) return allow;
    return person.roles.has('admin') ? allow : deny;
  }
}
