import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  RELATION_MEMBER_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createPermission } from '@backstage/plugin-permission-common';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import { callerOf, ForgeGuard } from '@internal/plugin-forge-node';

/**
 * Create blueprint projects owned by (and billed to) any team. Not in the Forge policy's rules table, so the
 * policy's default applies: reserved to platform admins.
 */
export const blueprintOwnerAnyPermission = createPermission({
  name: 'forge.blueprint.owner.any',
  attributes: {},
});

/** A team a person may choose as the owner of a new project. */
export interface OwnerChoice {
  ref: string;
  title: string;
  /** The team's cost center (`forge.io/cost-center`), when the catalog has one. */
  costCenter?: string;
  /** The team above it. */
  parent?: string;
}

/** Which teams a person may own new projects for: all of them (admins), or theirs and the teams below them. */
export interface OwnerChoices {
  anyGroup: boolean;
  groups: OwnerChoice[];
  /** Who can give a team a cost center: the platform admins' team, as the catalog describes it. */
  costCenterContact?: { ref: string; title: string; email?: string };
}

const groupRef = (value: string, namespace = 'default') =>
  stringifyEntityRef(parseEntityRef(value, { defaultKind: 'group', defaultNamespace: namespace }));

function choiceOf(group: Entity): OwnerChoice {
  const spec = (group.spec ?? {}) as { parent?: string; profile?: { displayName?: string } };
  return {
    ref: stringifyEntityRef(group),
    title: group.metadata.title ?? spec.profile?.displayName ?? group.metadata.name,
    costCenter: group.metadata.annotations?.[FORGE_ANNOTATIONS.costCenter],
    parent: spec.parent ? groupRef(spec.parent, group.metadata.namespace) : undefined,
  };
}

/** What a blueprint step's rule reads of the scaffolder's action context. */
export type BlueprintStepContext = {
  isDryRun?: boolean;
  user?: { ref?: string };
  task?: { id: string };
  getInitiatorCredentials(): Promise<BackstageCredentials>;
};

/**
 * The credentials a step's owner and cost-center rules are decided for: the person who started the run, or none for
 * a dry run started by a service (it publishes nothing; the review page's preview decides for the person first).
 */
async function personOfStep(ctx: BlueprintStepContext): Promise<BackstageCredentials | undefined> {
  const credentials = await ctx.getInitiatorCredentials();
  return ctx.isDryRun && callerOf(credentials).type === 'service' ? undefined : credentials;
}

/**
 * The owner rule of the blueprints, enforced by forge:publish:plan and forge:publish before anything is published,
 * and offered by the form's owner picker (GET /api/scaffolder/forge/owners):
 *
 * - a person may own a project for each team they are a member of, and for every team below those (a department
 *   lead may start a project for one of the department's teams);
 * - not for the teams above their own: a sub-team member does not bill the whole department;
 * - whoever holds `forge.blueprint.owner.any` (platform admins) may choose any team;
 * - service principals only if `forge.permissions.services` grants them `forge.blueprint.owner.any`;
 * - the same holds for billing: a cost center entered for the project must be one of those teams' (assertMayCharge).
 *
 * Decided and audited by the shared ForgeGuard, as every Forge entry point.
 */
export class BlueprintOwners {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      /** Permission, audit and actor naming (the one guard of every Forge entry point). */
      guard: ForgeGuard;
      /** The admin teams (`forge.permissions.roles.admin`), named to people who need a cost center added. */
      adminGroups?: string[];
    },
  ) {}

  /** The teams the person behind `credentials` (the user `userRef`) may choose. */
  async choices(credentials: BackstageCredentials, userRef: string | undefined): Promise<OwnerChoices> {
    const { catalog, guard } = this.options;
    const anyGroup = await guard.allows(callerOf(credentials), blueprintOwnerAnyPermission);
    const { items } = await catalog.getEntities({ filter: { kind: 'Group' } }, { credentials });
    const groups = items.map(choiceOf).sort((a, b) => a.title.localeCompare(b.title));
    const contact = this.contact(items);
    if (anyGroup) {
      return { anyGroup: true, groups, costCenterContact: contact };
    }
    const own = userRef ? await this.membership(userRef, items, credentials) : new Set<string>();
    // Every team below one of the person's own: walk down through each team's parent.
    const allowed = new Set(own);
    let grew = true;
    while (grew) {
      grew = false;
      for (const g of groups) {
        if (!allowed.has(g.ref) && g.parent && allowed.has(g.parent)) {
          allowed.add(g.ref);
          grew = true;
        }
      }
    }
    return { anyGroup: false, groups: groups.filter(g => allowed.has(g.ref)), costCenterContact: contact };
  }

  /**
   * NotAllowedError, after an audit event, when the person may not own a project for `owner`; says which teams
   * they may choose instead.
   */
  async assertMayOwn(
    owner: string,
    credentials: BackstageCredentials,
    userRef: string | undefined,
    context: { action: string; taskId?: string },
  ): Promise<void> {
    const choices = await this.choices(credentials, userRef);
    const wanted = groupRef(owner);
    if (choices.anyGroup || choices.groups.some(g => g.ref === wanted)) return;
    const mine = choices.groups.map(g => `${g.title} (${g.ref})`);
    const error = new NotAllowedError(
      `${userRef ?? 'You'} may not create a project owned by ${wanted}: projects are owned by, and billed to, your own ` +
        `teams or the teams below them. ${
          mine.length ? `Choose one of ${mine.join(', ')}` : 'You belong to no team in the catalog; ask a platform admin to add you to one'
        }, or ask a platform admin to create it for ${wanted}.`,
    );
    await this.options.guard.refuse({ credentials, action: context.action }, callerOf(credentials), error, {
      eventId: 'blueprint-owner-refused',
      meta: { owner: wanted, taskId: context.taskId ?? null },
    });
  }

  /**
   * The owner rule in a blueprint step (forge:publish:plan, forge:publish), for the person who started the run.
   * A dry run started by a service is not decided here: it publishes nothing, and has no person to decide for - the
   * review page's preview dry-runs with the scaffolder's own token (people may not dry-run templates), after checking
   * the owner for the person itself (createPreviewRouter). A real run is always decided, whoever started it.
   */
  async assertMayOwnInStep(
    owner: string,
    ctx: BlueprintStepContext,
    action: string,
  ): Promise<void> {
    const credentials = await personOfStep(ctx);
    if (!credentials) return;
    await this.assertMayOwn(owner, credentials, ctx.user?.ref, { action, taskId: ctx.task?.id });
  }

  /**
   * The billing half of the owner rule: a cost center entered for a project (the blueprint's Advanced page, an action's
   * `costCenter` input, or the `forge.io/cost-center` a template renders) must be the `forge.io/cost-center` of a team
   * the person may own projects for (choices: their teams and the teams below them); whoever may choose any owner
   * (`forge.blueprint.owner.any`) may charge any cost center. NotAllowedError, after an audit event, otherwise: it
   * names the cost centers the person may charge and who can charge another one.
   */
  async assertMayCharge(
    costCenter: string,
    credentials: BackstageCredentials,
    userRef: string | undefined,
    context: { action: string; taskId?: string; owner?: string },
  ): Promise<void> {
    const choices = await this.choices(credentials, userRef);
    if (choices.anyGroup || choices.groups.some(g => g.costCenter === costCenter)) return;
    const byCenter = new Map<string, string[]>();
    for (const g of choices.groups) {
      if (g.costCenter) byCenter.set(g.costCenter, [...(byCenter.get(g.costCenter) ?? []), g.title]);
    }
    const mine = [...byCenter].map(([cc, titles]) => `${cc} (${titles.join(', ')})`);
    const contact = choices.costCenterContact;
    const who = contact
      ? `a platform admin (${contact.title}${contact.email ? `, ${contact.email}` : ''})`
      : 'a platform admin';
    const error = new NotAllowedError(
      `${userRef ?? 'You'} may not charge cost center ${costCenter}: a project is billed to the cost center of one of ` +
        `your own teams or the teams below them. ${
          mine.length
            ? `You may charge ${mine.join(', ')}; leave the cost center empty to charge the owning team's`
            : 'None of your teams has a cost center (forge.io/cost-center) in the catalog'
        }. Only ${who} can charge another cost center: ask them to create the project for ${costCenter}, or to ` +
        "change your team's forge.io/cost-center in the catalog.",
    );
    await this.options.guard.refuse({ credentials, action: context.action }, callerOf(credentials), error, {
      eventId: 'blueprint-cost-center-refused',
      meta: { costCenter, owner: context.owner ? groupRef(context.owner) : null, taskId: context.taskId ?? null },
    });
  }

  /**
   * The cost-center rule in a blueprint step (forge:cost:estimate, forge:publish), for the person who started the run;
   * a dry run started by a service is left to the preview, as for the owner (assertMayOwnInStep).
   */
  async assertMayChargeInStep(
    costCenter: string,
    owner: string,
    ctx: BlueprintStepContext,
    action: string,
  ): Promise<void> {
    const credentials = await personOfStep(ctx);
    if (!credentials) return;
    await this.assertMayCharge(costCenter, credentials, ctx.user?.ref, { action, owner, taskId: ctx.task?.id });
  }

  private async membership(userRef: string, groups: Entity[], credentials: BackstageCredentials) {
    const user = await this.options.catalog.getEntityByRef(userRef, { credentials });
    const refs = new Set<string>();
    if (!user) return refs;
    const namespace = user.metadata.namespace ?? 'default';
    for (const m of ((user.spec as { memberOf?: string[] })?.memberOf ?? [])) refs.add(groupRef(m, namespace));
    for (const r of user.relations ?? []) if (r.type === RELATION_MEMBER_OF) refs.add(groupRef(r.targetRef));
    const self = stringifyEntityRef(user);
    for (const g of groups) {
      const members = ((g.spec as { members?: string[] })?.members ?? []).map(m =>
        stringifyEntityRef(parseEntityRef(m, { defaultKind: 'user', defaultNamespace: g.metadata.namespace ?? 'default' })),
      );
      if (members.includes(self)) refs.add(stringifyEntityRef(g));
    }
    return refs;
  }

  private contact(groups: Entity[]): OwnerChoices['costCenterContact'] {
    const adminRef = this.options.adminGroups?.[0];
    if (!adminRef) return undefined;
    const admin = groups.find(g => stringifyEntityRef(g) === groupRef(adminRef));
    if (!admin) return { ref: groupRef(adminRef), title: parseEntityRef(adminRef).name };
    const profile = (admin.spec as { profile?: { email?: string } })?.profile;
    return { ref: stringifyEntityRef(admin), title: choiceOf(admin).title, email: profile?.email };
  }
}
