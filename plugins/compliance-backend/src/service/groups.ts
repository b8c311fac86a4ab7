import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/** The parent of each group, from `spec.parent`. */
export function parentsOf(groups: Entity[]): Map<string, string | undefined> {
  return new Map(
    groups.map(g => {
      const parent = (g.spec as { parent?: string } | undefined)?.parent;
      let parentRef: string | undefined;
      if (parent) {
        try {
          parentRef = stringifyEntityRef(
            parseEntityRef(parent, {
              defaultKind: 'group',
              defaultNamespace: g.metadata.namespace ?? 'default',
            }),
          );
        } catch {
          parentRef = undefined;
        }
      }
      return [stringifyEntityRef(g), parentRef];
    }),
  );
}

/** A group and every group below it, however deep (cycles in bad data are tolerated). */
export function descendantGroups(root: string, groups: Entity[]): Set<string> {
  const children = new Map<string, string[]>();
  for (const [ref, parent] of parentsOf(groups)) {
    if (parent) children.set(parent, [...(children.get(parent) ?? []), ref]);
  }
  const result = new Set<string>();
  const queue = [root];
  while (queue.length) {
    const next = queue.shift()!;
    if (result.has(next)) continue;
    result.add(next);
    queue.push(...(children.get(next) ?? []));
  }
  return result;
}
