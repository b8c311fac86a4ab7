import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  EvaluationEnvironment,
  FORGE_ANNOTATIONS,
} from '@internal/plugin-compliance-common';

/**
 * What the policy rules know about the world, read from the catalog: the groups that exist and the current version of
 * every blueprint (from each Template's `forge.io/blueprint-version`).
 */
export async function loadEvaluationEnvironment(
  catalog: CatalogService,
  credentials: BackstageCredentials,
): Promise<EvaluationEnvironment> {
  const [groups, templates] = await Promise.all([
    catalog.getEntities(
      { filter: { kind: 'Group' }, fields: ['kind', 'metadata.name', 'metadata.namespace'] },
      { credentials },
    ),
    catalog.getEntities(
      { filter: { kind: 'Template' }, fields: ['metadata.name', 'metadata.annotations'] },
      { credentials },
    ),
  ]);
  const blueprints: Record<string, string> = {};
  for (const template of templates.items) {
    const version = template.metadata.annotations?.[FORGE_ANNOTATIONS.blueprintVersion];
    if (version) blueprints[template.metadata.name] = version;
  }
  return {
    groups: groups.items.map(g => stringifyEntityRef({ ...g, kind: 'Group' })),
    blueprints,
  };
}

/** The catalog entities behind a set of refs (unknown refs are left out: the rules then see fewer sources). */
export async function loadRelatedEntities(
  catalog: CatalogService,
  refs: string[],
  credentials: BackstageCredentials,
): Promise<Entity[]> {
  if (refs.length === 0) return [];
  const { items } = await catalog.getEntitiesByRefs({ entityRefs: refs }, { credentials });
  return items.filter((e): e is Entity => !!e);
}
