import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  BillingTag,
  COST_ANNOTATIONS,
  parseCostTags,
  parseMonthlyBudget,
} from '@internal/plugin-cost-insights-common';

/** What the cost plugin needs to know about a catalog entity. */
export type CostEntity = {
  ref: string;
  kind: string;
  name: string;
  title?: string;
  type?: string;
  /** The owning group's ref, when the owner is a group. */
  ownerRef?: string;
  annotations: Record<string, string>;
};

/** A group of the organisation and its place in the tree. */
export type CostGroup = CostEntity & {
  parentRef?: string;
  childRefs: string[];
};

/** An annotation that could not be read, said where it is. */
export type AnnotationProblem = { entityRef: string; message: string };

function normalizeRef(
  ref: string,
  defaultKind: string,
  defaultNamespace: string,
): string | undefined {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace }),
    );
  } catch {
    return undefined;
  }
}

function toCostEntity(entity: Entity): CostEntity {
  const namespace = entity.metadata.namespace ?? 'default';
  const owner = entity.spec?.owner;
  const ownerRef =
    typeof owner === 'string'
      ? normalizeRef(owner, 'group', namespace)
      : undefined;
  return {
    ref: stringifyEntityRef(entity),
    kind: entity.kind,
    name: entity.metadata.name,
    title: entity.metadata.title,
    type: typeof entity.spec?.type === 'string' ? entity.spec.type : undefined,
    ownerRef: ownerRef?.startsWith('group:') ? ownerRef : undefined,
    annotations: entity.metadata.annotations ?? {},
  };
}

/**
 * The catalog as cost sees it at one moment: entities that can own cost, the group tree, and the rules the
 * `forge.io/*` annotations define. Immutable; a new snapshot is taken when the catalog may have changed.
 */
export class CostCatalogSnapshot {
  readonly entities = new Map<string, CostEntity>();
  readonly groups = new Map<string, CostGroup>();
  private readonly childrenOf = new Map<string, Set<string>>();
  private readonly subtreeCache = new Map<string, string[]>();

  static fromEntities(entities: Entity[]): CostCatalogSnapshot {
    return new CostCatalogSnapshot(entities);
  }

  private constructor(entities: Entity[]) {
    for (const entity of entities) {
      const base = toCostEntity(entity);
      if (entity.kind.toLowerCase() === 'group') {
        const namespace = entity.metadata.namespace ?? 'default';
        const parent = entity.spec?.parent;
        const children = Array.isArray(entity.spec?.children)
          ? (entity.spec!.children as unknown[])
          : [];
        this.groups.set(base.ref, {
          ...base,
          parentRef:
            typeof parent === 'string'
              ? normalizeRef(parent, 'group', namespace)
              : undefined,
          childRefs: children
            .filter((c): c is string => typeof c === 'string')
            .map(c => normalizeRef(c, 'group', namespace))
            .filter((c): c is string => Boolean(c)),
        });
      } else {
        this.entities.set(base.ref, base);
      }
    }
    // The tree from both directions: a child naming its parent, or a parent listing its children.
    for (const group of this.groups.values()) {
      if (group.parentRef) this.link(group.parentRef, group.ref);
      for (const child of group.childRefs) this.link(group.ref, child);
    }
  }

  private link(parent: string, child: string) {
    if (!this.groups.has(parent) || !this.groups.has(child)) return;
    let set = this.childrenOf.get(parent);
    if (!set) this.childrenOf.set(parent, (set = new Set()));
    set.add(child);
  }

  /** An entity or a group by ref. */
  get(ref: string): CostEntity | undefined {
    return this.entities.get(ref) ?? this.groups.get(ref);
  }

  displayName(ref: string): string {
    const e = this.get(ref);
    return e?.title ?? e?.name ?? ref;
  }

  /** Direct sub-groups. */
  childGroups(groupRef: string): string[] {
    return [...(this.childrenOf.get(groupRef) ?? [])].sort();
  }

  /** The parent group. */
  parentGroup(groupRef: string): string | undefined {
    const explicit = this.groups.get(groupRef)?.parentRef;
    if (explicit && this.groups.has(explicit)) return explicit;
    for (const [parent, children] of this.childrenOf) {
      if (children.has(groupRef)) return parent;
    }
    return undefined;
  }

  /** The group and all groups below it. */
  subtree(groupRef: string): string[] {
    const cached = this.subtreeCache.get(groupRef);
    if (cached) return cached;
    const seen = new Set<string>();
    const visit = (ref: string) => {
      if (seen.has(ref)) return; // cycles in a hand-written org must not hang
      seen.add(ref);
      for (const child of this.childrenOf.get(ref) ?? []) visit(child);
    };
    visit(groupRef);
    const result = [...seen];
    this.subtreeCache.set(groupRef, result);
    return result;
  }

  /** The groups above a group, nearest first. */
  ancestors(groupRef: string): string[] {
    const result: string[] = [];
    let current = this.parentGroup(groupRef);
    while (current && !result.includes(current) && current !== groupRef) {
      result.push(current);
      current = this.parentGroup(current);
    }
    return result;
  }

  /**
   * The refs whose cost rolls up into a group: the entities owned by the group or any group below it, and
   * those groups themselves (spend of sub-accounts mapped to a group is attributed to the group).
   */
  costRefsOfGroup(groupRef: string): string[] {
    const groups = new Set(this.subtree(groupRef));
    const refs = [...groups];
    for (const entity of this.entities.values()) {
      if (entity.ownerRef && groups.has(entity.ownerRef)) refs.push(entity.ref);
    }
    return refs;
  }

  /** The entities a group owns directly. */
  ownedBy(groupRef: string): CostEntity[] {
    return [...this.entities.values()].filter(e => e.ownerRef === groupRef);
  }

  /** The group a cost ref belongs to: its owner, or the group itself. */
  owningGroup(ref: string): string | undefined {
    if (this.groups.has(ref)) return ref;
    return this.entities.get(ref)?.ownerRef;
  }

  /**
   * Billing tags claimed by entities through `forge.io/cost-tags`, the tags claimed by entities of different owners
   * (`contested`: their lines belong to nobody), and the annotations that could not be read or that claim a tag
   * another entity claims too (a problem of each claimant, naming the others).
   *
   * A tag claimed by several entities fails closed: no claimant gets its lines, since a claim says nothing about who
   * may make it (an entity named to sort first would otherwise take another team's spend). Only when every claimant
   * has the same owning group does the first by ref keep it: the spend stays with the team either way.
   */
  costTags(): {
    claims: Array<{ tag: BillingTag; entityRef: string }>;
    contested: Array<{ tag: BillingTag; entityRefs: string[] }>;
    problems: AnnotationProblem[];
  } {
    const claimants = new Map<string, { tag: BillingTag; refs: string[] }>();
    const problems: AnnotationProblem[] = [];
    const all = [...this.entities.values(), ...this.groups.values()].sort(
      (a, b) => a.ref.localeCompare(b.ref),
    );
    for (const entity of all) {
      const raw = entity.annotations[COST_ANNOTATIONS.costTags];
      if (raw === undefined) continue;
      const reading = parseCostTags(raw);
      if (!reading.ok) {
        problems.push({ entityRef: entity.ref, message: reading.error });
        continue;
      }
      for (const tag of reading.value) {
        const key = `${tag.key}=${tag.value}`;
        const known = claimants.get(key);
        if (!known) claimants.set(key, { tag, refs: [entity.ref] });
        else if (!known.refs.includes(entity.ref)) known.refs.push(entity.ref);
      }
    }
    const claims: Array<{ tag: BillingTag; entityRef: string }> = [];
    const contested: Array<{ tag: BillingTag; entityRefs: string[] }> = [];
    for (const [key, { tag, refs }] of claimants) {
      if (refs.length === 1) {
        claims.push({ tag, entityRef: refs[0] });
        continue;
      }
      const owners = new Set(refs.map(ref => this.owningGroup(ref)));
      const [owner] = owners;
      if (owners.size === 1 && owner) {
        claims.push({ tag, entityRef: refs[0] });
        for (const ref of refs) {
          problems.push({
            entityRef: ref,
            message: `${key} is claimed by ${refs.join(
              ', ',
            )} (all owned by ${owner}); ${refs[0]} keeps its lines`,
          });
        }
        continue;
      }
      contested.push({ tag, entityRefs: refs });
      for (const ref of refs) {
        problems.push({
          entityRef: ref,
          message: `${key} is claimed by ${refs.join(
            ', ',
          )}, which have different owners; its lines are unattributed until only one of them claims it`,
        });
      }
    }
    return { claims, contested, problems };
  }

  /** Budgets kept as code: `forge.io/monthly-budget` on groups and entities. */
  catalogBudgets(): {
    budgets: Array<{ entityRef: string; monthlyAmount: number }>;
    problems: AnnotationProblem[];
  } {
    const budgets: Array<{ entityRef: string; monthlyAmount: number }> = [];
    const problems: AnnotationProblem[] = [];
    for (const entity of [...this.groups.values(), ...this.entities.values()]) {
      const raw = entity.annotations[COST_ANNOTATIONS.monthlyBudget];
      if (raw === undefined) continue;
      const reading = parseMonthlyBudget(raw);
      if (reading.ok) {
        budgets.push({ entityRef: entity.ref, monthlyAmount: reading.value });
      } else {
        problems.push({ entityRef: entity.ref, message: reading.error });
      }
    }
    return { budgets, problems };
  }
}
