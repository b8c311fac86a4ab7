import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

/**
 * An entity ref in the one form Forge stores and compares: `kind:namespace/name`, lower-cased by the catalog's own
 * helpers (as the catalog compares refs), the default kind and namespace filled in. Call it once, where a ref enters Forge (a
 * route, an action, a token); a value that is not a ref is an InputError naming the field.
 *
 * @public
 */
export function normalizeEntityRef(
  value: string | CompoundEntityRef,
  options: {
    defaultKind?: string;
    defaultNamespace?: string;
    field?: string;
  } = {},
): string {
  try {
    return stringifyEntityRef(
      typeof value === 'string'
        ? parseEntityRef(value, {
            defaultKind: options.defaultKind,
            defaultNamespace: options.defaultNamespace ?? 'default',
          })
        : value,
    );
  } catch {
    throw new InputError(
      `${options.field ?? 'entityRef'} '${String(
        typeof value === 'string' ? value : stringifyEntityRef(value),
      ).slice(0, 200)}' is not an entity reference such as ${
        options.defaultKind ?? 'component'
      }:default/name`,
    );
  }
}

/**
 * The key two refs are compared by. The catalog matches names without regard to case (`user:default/Daniel.Moreau`
 * and `user:default/daniel.moreau` are the same person), so every comparison of identities in Forge goes through
 * here, also for refs stored before they were normalised at the boundary.
 *
 * @public
 */
export function entityRefKey(ref: string): string {
  let normalized: string;
  try {
    normalized = stringifyEntityRef(
      parseEntityRef(ref, { defaultNamespace: 'default' }),
    );
  } catch {
    normalized = ref;
  }
  return normalized.toLocaleLowerCase('en-US');
}

/**
 * Whether two refs name the same entity (see {@link entityRefKey}).
 *
 * @public
 */
export function sameEntityRef(a: string, b: string): boolean {
  return entityRefKey(a) === entityRefKey(b);
}
