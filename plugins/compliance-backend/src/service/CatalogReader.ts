import { AuthService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** What the compliance backend reads from the catalog, always with its own service credentials. */
export interface CatalogReader {
  listEntities(): Promise<Entity[]>;
  listEtags(): Promise<Array<{ entityRef: string; etag?: string }>>;
  getEntities(entityRefs: string[]): Promise<Entity[]>;
  listGroups(): Promise<Entity[]>;
}

const PAGE = 1000;

export class BackstageCatalogReader implements CatalogReader {
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  private async credentials() {
    return { credentials: await this.auth.getOwnServiceCredentials() };
  }

  private async paged(
    filter?: Record<string, string>,
    fields?: string[],
  ): Promise<Entity[]> {
    const out: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.catalog.queryEntities(
        cursor
          ? { cursor, limit: PAGE, fields }
          : { filter, limit: PAGE, fields },
        await this.credentials(),
      );
      out.push(...page.items);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    return out;
  }

  listEntities(): Promise<Entity[]> {
    return this.paged();
  }

  async listEtags() {
    const items = await this.paged(undefined, [
      'kind',
      'metadata.name',
      'metadata.namespace',
      'metadata.etag',
    ]);
    return items.map(e => ({
      entityRef: stringifyEntityRef(e),
      etag: e.metadata.etag,
    }));
  }

  async getEntities(entityRefs: string[]): Promise<Entity[]> {
    if (entityRefs.length === 0) return [];
    const { items } = await this.catalog.getEntitiesByRefs(
      { entityRefs },
      await this.credentials(),
    );
    return items.filter((e): e is Entity => !!e);
  }

  listGroups(): Promise<Entity[]> {
    return this.paged({ kind: 'Group' });
  }
}
