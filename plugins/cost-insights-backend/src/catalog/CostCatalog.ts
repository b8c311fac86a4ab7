import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { CostCatalogSnapshot } from './CostCatalogSnapshot';

const FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.annotations',
  'spec.owner',
  'spec.type',
  'spec.parent',
  'spec.children',
];

/**
 * Reads the catalog for cost: groups and the entity kinds that can own cost. Snapshots are reused for a short
 * while so a page of cost views costs one catalog read, not one per panel.
 */
export class CostCatalog {
  private cached?: { at: number; snapshot: Promise<CostCatalogSnapshot> };

  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      entityKinds: string[];
      maxAgeMs?: number;
    },
  ) {}

  async snapshot(): Promise<CostCatalogSnapshot> {
    const maxAge = this.options.maxAgeMs ?? 30_000;
    if (this.cached && Date.now() - this.cached.at < maxAge) {
      return this.cached.snapshot;
    }
    const snapshot = this.load();
    this.cached = { at: Date.now(), snapshot };
    snapshot.catch(() => {
      // A failed read is not cached: the next caller tries again.
      if (this.cached?.snapshot === snapshot) this.cached = undefined;
    });
    return snapshot;
  }

  /** Forgets the cached snapshot (after an ingestion, so attribution sees the latest annotations). */
  invalidate() {
    this.cached = undefined;
  }

  private async load(): Promise<CostCatalogSnapshot> {
    const credentials = await this.options.auth.getOwnServiceCredentials();
    const { items } = await this.options.catalog.getEntities(
      {
        filter: [{ kind: 'Group' }, { kind: this.options.entityKinds }],
        fields: FIELDS,
      },
      { credentials },
    );
    return CostCatalogSnapshot.fromEntities(items);
  }
}
