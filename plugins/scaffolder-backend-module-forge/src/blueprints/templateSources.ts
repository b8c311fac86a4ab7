import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import path from 'node:path';

/**
 * The folders a blueprint's fetch steps read, relative to the template file (for example `./_shared/skeleton` and
 * `./ml-training-pipeline/skeleton/project`). Blueprints sit side by side in templates/ so that they can all fetch
 * the shared skeleton; a dry run needs these folders and nothing else of templates/.
 */
export function templateSources(template: Entity): string[] {
  const steps = ((template.spec as { steps?: unknown[] } | undefined)?.steps ??
    []) as Array<{
    action?: unknown;
    input?: { url?: unknown };
  }>;
  const sources = new Set<string>();
  for (const step of steps) {
    const url = step.input?.url;
    if (
      typeof step.action !== 'string' ||
      !step.action.startsWith('fetch:') ||
      typeof url !== 'string'
    )
      continue;
    if (!url.startsWith('./')) continue; // absolute URLs are fetched by the scaffolder itself
    const normalized = path.posix.normalize(url);
    if (
      normalized === '.' ||
      normalized.startsWith('..') ||
      normalized.includes('${{')
    ) {
      throw new InputError(
        `${template.metadata.name}: fetch step url ${url} must name a folder below the template`,
      );
    }
    sources.add(normalized.replace(/\/$/, ''));
  }
  return [...sources];
}
