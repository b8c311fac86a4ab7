import { AuthService } from '@backstage/backend-plugin-api';
import { RELATION_MEMBER_OF } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
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

  /**
   * Waits until entities claim the given billing tags (`key=value`) through `forge.io/cost-tags`, i.e. the
   * catalog has processed the entities that own them, at most `timeoutMs`. On first start the demo data waits
   * for its projects, so it is not attributed against a half-loaded catalog.
   */
  async waitForCostTags(options: {
    tags: string[];
    timeoutMs: number;
    intervalMs?: number;
  }) {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      this.invalidate();
      try {
        const claimed = new Set(
          (await this.snapshot())
            .costTags()
            .claims.map(c => `${c.tag.key}=${c.tag.value}`),
        );
        if (options.tags.every(t => claimed.has(t))) return;
      } catch {
        // the catalog may not answer yet while the backend starts
      }
      if (Date.now() >= deadline) return;
      await new Promise(r => setTimeout(r, options.intervalMs ?? 2000));
    }
  }

  /** Forgets the cached snapshot (after an ingestion, so attribution sees the latest annotations). */
  invalidate() {
    this.cached = undefined;
  }

  /** The groups a user is a member of, by the catalog's memberOf relations; a 404 for an unknown user. */
  async groupsOfUser(userRef: string): Promise<string[]> {
    const credentials = await this.options.auth.getOwnServiceCredentials();
    const user = await this.options.catalog.getEntityByRef(userRef, {
      credentials,
    });
    if (!user) throw new NotFoundError(`No user ${userRef} in the catalog`);
    return (user.relations ?? [])
      .filter(r => r.type === RELATION_MEMBER_OF)
      .map(r => r.targetRef)
      .filter(ref => ref.startsWith('group:'))
      .sort();
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
