import {
  CompoundEntityRef,
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

const validator = makeValidator();

/**
 * The longest entity ref any Forge input takes (kind, namespace and name are at most 63 characters each by the
 * catalog's rules): the one bound of every route's and every action's ref fields.
 *
 * @public
 */
export const MAX_ENTITY_REF_LENGTH = 300;

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
  const field = options.field ?? 'entityRef';
  const shown = String(
    typeof value === 'string' ? value : stringifyEntityRef(value),
  ).slice(0, 200);
  let ref: CompoundEntityRef;
  try {
    ref =
      typeof value === 'string'
        ? parseEntityRef(value, {
            defaultKind: options.defaultKind,
            defaultNamespace: options.defaultNamespace ?? 'default',
          })
        : value;
  } catch {
    throw new InputError(
      `${field} '${shown}' is not an entity reference such as ${
        options.defaultKind ?? 'component'
      }:default/name`,
    );
  }
  // The catalog's own naming rules: without them ' user', 'ｄaniel.moreau' (full-width) or 'dаniel' (Cyrillic a)
  // would pass as refs that look like a person's but compare as someone else, e.g. around "not your own request".
  if (
    !validator.isValidKind(ref.kind) ||
    !validator.isValidNamespace(ref.namespace.toLocaleLowerCase('en-US')) ||
    !validator.isValidEntityName(ref.name)
  ) {
    throw new InputError(
      `${field} '${shown}' is not a valid entity reference: kind, namespace and name may hold only the letters ` +
        'a-z and A-Z, digits, and - _ . (no spaces, no look-alike or full-width characters), e.g. ' +
        `${options.defaultKind ?? 'component'}:default/name`,
    );
  }
  return stringifyEntityRef(ref);
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
