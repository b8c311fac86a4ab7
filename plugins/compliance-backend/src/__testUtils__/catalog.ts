import fs from 'node:fs';
import path from 'node:path';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { parseAllDocuments } from 'yaml';
import { CatalogReader } from '../service/CatalogReader';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** The demo organisation's entities, read from the repository's catalog files (with etags like the catalog's). */
export function demoEntities(): Entity[] {
  const files = [
    'org/groups.yaml',
    'org/users.yaml',
    'systems/systems.yaml',
    'resources/data-resources.yaml',
    'demo/projects.yaml',
  ];
  return files.flatMap(f =>
    parseAllDocuments(
      fs.readFileSync(path.join(REPO_ROOT, 'catalog', f), 'utf8'),
    ).map(d => {
      const entity = d.toJS() as Entity;
      entity.metadata.namespace ??= 'default';
      entity.metadata.etag = 'v1';
      return entity;
    }),
  );
}

/** A catalog held in memory: the entities are real documents, only the transport is left out. */
export class InMemoryCatalog implements CatalogReader {
  entities: Entity[];

  constructor(entities: Entity[]) {
    this.entities = entities;
  }

  update(entityRef: string, change: (e: Entity) => void) {
    const entity = this.entities.find(
      e => stringifyEntityRef(e) === entityRef,
    )!;
    change(entity);
    entity.metadata.etag = `v${
      Number(entity.metadata.etag?.slice(1) ?? 1) + 1
    }`;
  }

  async listEntities() {
    return structuredClone(this.entities);
  }

  async listEtags() {
    return this.entities.map(e => ({
      entityRef: stringifyEntityRef(e),
      etag: e.metadata.etag,
    }));
  }

  async getEntities(entityRefs: string[]) {
    const wanted = new Set(entityRefs);
    return structuredClone(
      this.entities.filter(e => wanted.has(stringifyEntityRef(e))),
    );
  }

  async listGroups() {
    return structuredClone(this.entities.filter(e => e.kind === 'Group'));
  }
}

/** Records what would have been sent, so tests can assert who was told what. */
export class RecordingNotifier {
  sent: Array<{ type: string; to?: string; input: unknown }> = [];
  async checkRegressed(input: { ownerRef: string }) {
    this.sent.push({ type: 'regression', to: input.ownerRef, input });
  }
  async exemptionExpiring(input: { ownerRef: string }) {
    this.sent.push({ type: 'expiring', to: input.ownerRef, input });
  }
  async exemptionDecided(input: unknown) {
    this.sent.push({ type: 'decided', input });
  }
  async exemptionRequested(input: unknown) {
    this.sent.push({ type: 'requested', input });
  }
}
