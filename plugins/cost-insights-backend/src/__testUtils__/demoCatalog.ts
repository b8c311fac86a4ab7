import { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(__dirname, '../../../..');

/** The demo organisation and projects the embedded default loads, read from the repository's catalog files. */
export function demoCatalogEntities(): Entity[] {
  const files = [
    'catalog/org/groups.yaml',
    'catalog/org/users.yaml',
    'catalog/demo/projects.yaml',
  ];
  const entities: Entity[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(
      fs.readFileSync(path.join(ROOT, file), 'utf8'),
    )) {
      const entity = doc.toJS() as Entity;
      if (!entity) continue;
      entity.metadata.namespace ??= 'default';
      // The catalog would add memberOf relations to users from spec.memberOf.
      if (entity.kind === 'User') {
        entity.relations = ((entity.spec?.memberOf as string[]) ?? []).map(
          g => ({
            type: 'memberOf',
            targetRef: `group:default/${g}`,
          }),
        );
      }
      entities.push(entity);
    }
  }
  return entities;
}

/** The sub-account app-config.yaml maps to ML Platform, as in the embedded default. */
export const DEMO_ATTRIBUTION = {
  tagKeys: [{ key: 'forge-entity', defaultKind: 'component' }],
  subAccounts: [{ id: '777788889999', group: 'group:default/ml-platform' }],
};
