import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import { DataSource } from './planEnvironment';

/**
 * Looks the chosen data sources up in the catalog, as the person running the blueprint (so nobody can pick a source
 * they cannot see). Every ref must be a Resource that exists.
 */
export async function resolveDataSources(
  catalog: CatalogService,
  refs: string[],
  credentials: BackstageCredentials,
): Promise<{ sources: DataSource[]; entities: Entity[] }> {
  if (refs.length === 0) return { sources: [], entities: [] };
  const { items } = await catalog.getEntitiesByRefs(
    { entityRefs: refs },
    { credentials },
  );
  const missing = refs.filter((_, i) => !items[i]);
  if (missing.length) {
    throw new InputError(
      `data source ${missing.join(', ')} is not in the catalog (or you may not see it); pick data resources from the list`,
    );
  }
  const entities = items as Entity[];
  const notResources = entities.filter(e => e.kind.toLocaleLowerCase('en-US') !== 'resource');
  if (notResources.length) {
    throw new InputError(
      `${notResources.map(e => stringifyEntityRef(e)).join(', ')} is not a data resource; pick Resource entities`,
    );
  }
  return {
    entities,
    sources: entities.map(e => {
      const annotations = e.metadata.annotations ?? {};
      return {
        ref: stringifyEntityRef(e),
        endpoint: annotations[FORGE_ANNOTATIONS.endpoint],
        classification: annotations[FORGE_ANNOTATIONS.dataClassification],
        containsPii: annotations[FORGE_ANNOTATIONS.containsPii] === 'true',
      };
    }),
  };
}
