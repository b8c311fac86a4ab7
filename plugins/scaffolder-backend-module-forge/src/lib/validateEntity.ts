import {
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  KindValidator,
  NoForeignRootFieldsEntityPolicy,
  resourceEntityV1alpha1Validator,
  SchemaValidEntityPolicy,
  systemEntityV1alpha1Validator,
} from '@backstage/catalog-model';

const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

const kindValidators: KindValidator[] = [
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  apiEntityV1alpha1Validator,
];

/**
 * Validates an entity the way the catalog will when it is registered: envelope, field formats, and the schema of
 * its kind. Returns the entity with defaults applied, or the reason it would be refused.
 */
export async function validateCatalogEntity(
  raw: unknown,
  validators: KindValidator[] = kindValidators,
): Promise<{ entity: Entity } | { error: string }> {
  try {
    const entity = await policy.enforce(raw as Entity);
    if (!entity) return { error: 'the entity was refused by the catalog entity policies' };
    for (const validator of validators) {
      if (await validator.check(entity)) return { entity };
    }
    return {
      error: `kind ${entity.kind} (${entity.apiVersion}) is not one of the kinds expected here`,
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
