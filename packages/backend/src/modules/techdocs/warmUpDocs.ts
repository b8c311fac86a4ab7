import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';

/**
 * Builds the documentation of every entity that has some, so the first reader does not wait for mkdocs and the
 * search index has the docs in it. Goes through the TechDocs API like a reader would; failures are logged only.
 */
export async function warmUpDocs(deps: {
  catalog: CatalogService;
  auth: AuthService;
  discovery: DiscoveryService;
  logger: LoggerService;
}): Promise<{ built: number; failed: number }> {
  const credentials = await deps.auth.getOwnServiceCredentials();
  const { items } = await deps.catalog.getEntities(
    {
      filter: {
        'metadata.annotations.backstage.io/techdocs-ref': CATALOG_FILTER_EXISTS,
      },
      fields: [
        'kind',
        'metadata.namespace',
        'metadata.name',
        'metadata.annotations',
      ],
    },
    { credentials },
  );
  const withDocs = items.filter(
    e => e.metadata.annotations?.['backstage.io/techdocs-ref'],
  );
  const base = await deps.discovery.getBaseUrl('techdocs');
  const { token } = await deps.auth.getPluginRequestToken({
    onBehalfOf: credentials,
    targetPluginId: 'techdocs',
  });
  let built = 0;
  let failed = 0;
  for (const entity of withDocs) {
    const path = [
      entity.metadata.namespace ?? 'default',
      entity.kind,
      entity.metadata.name,
    ]
      .map(encodeURIComponent)
      .join('/');
    try {
      const res = await fetch(`${base}/sync/${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await res.text();
      if (!res.ok || body.includes('event: error'))
        throw new Error(body.slice(0, 300));
      built++;
    } catch (e) {
      failed++;
      deps.logger.warn(
        `Could not build the docs of ${path}: ${(e as Error).message}`,
      );
    }
  }
  return { built, failed };
}
