import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CostCatalogSnapshot } from '../catalog/CostCatalogSnapshot';

/**
 * Whose cost a question is about: the whole organisation (everything, unattributed spend included), a group
 * (its entities and sub-groups, rolled up) or one entity.
 */
export type CostScope = {
  kind: 'organization' | 'group' | 'entity';
  /** The entity or group ref; absent for the organisation. */
  ref?: string;
  name: string;
  /** The refs whose rollups count; absent for the organisation (all of them). */
  costRefs?: string[];
};

export const ORGANIZATION_SCOPE: CostScope = {
  kind: 'organization',
  name: 'Organisation',
};

/** Reads an entity ref written in full (`component:default/x`) or short (`x`, of `defaultKind`). */
export function normalizeEntityRef(ref: string, defaultKind: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref.trim(), { defaultKind, defaultNamespace: 'default' }),
    );
  } catch {
    throw new InputError(
      `"${ref}" is not an entity ref; write it as kind:namespace/name, e.g. component:default/churn-model`,
    );
  }
}

/** The scope of a group or entity in the catalog; unknown refs are a 404. */
export function resolveScope(
  snapshot: CostCatalogSnapshot,
  rawRef: string,
  defaultKind = 'component',
): CostScope {
  const ref = normalizeEntityRef(rawRef, defaultKind);
  if (snapshot.groups.has(ref)) {
    return {
      kind: 'group',
      ref,
      name: snapshot.displayName(ref),
      costRefs: snapshot.costRefsOfGroup(ref),
    };
  }
  if (snapshot.entities.has(ref)) {
    return {
      kind: 'entity',
      ref,
      name: snapshot.displayName(ref),
      costRefs: [ref],
    };
  }
  throw new NotFoundError(
    ref.startsWith('group:')
      ? `No group ${ref} in the catalog`
      : `No entity ${ref} in the catalog that can carry cost`,
  );
}

/** The scope of a group; a 404 when the ref names no group. */
export function resolveGroupScope(
  snapshot: CostCatalogSnapshot,
  rawRef: string,
): CostScope {
  const scope = resolveScope(snapshot, rawRef, 'group');
  if (scope.kind !== 'group') {
    throw new NotFoundError(`No group ${scope.ref} in the catalog`);
  }
  return scope;
}
