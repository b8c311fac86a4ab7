import fs from 'node:fs/promises';
import { InputError } from '@backstage/errors';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ComplianceStore } from '../database/ComplianceStore';

const demoFactsSchema = z.array(
  z.object({
    entity: z
      .string()
      .regex(
        /^[a-z]+:[^/]+\/.+$/,
        'must be a full entity ref such as component:default/churn-model',
      ),
    facts: z.array(
      z.object({
        name: z.string().min(1),
        daysAgo: z.number().min(0),
        source: z.string().optional(),
        data: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
);

/**
 * Loads the demo facts of the embedded default once: only when no fact was ever stored, so real facts pushed
 * later are never overwritten. Times are relative to `now`, so the demo is always fresh on first start.
 */
export async function seedDemoFacts(
  store: ComplianceStore,
  file: string,
  now: Date,
): Promise<number> {
  if ((await store.listFacts()).size > 0) return 0;
  const parsed = demoFactsSchema.safeParse(
    parseYaml(await fs.readFile(file, 'utf8')),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `Invalid demo facts in ${file} at ${issue.path.join('.')}: ${
        issue.message
      }`,
    );
  }
  let count = 0;
  for (const { entity, facts } of parsed.data) {
    for (const fact of facts) {
      const collectedAt = new Date(
        now.getTime() - fact.daysAgo * 86400_000,
      ).toISOString();
      await store.upsertFact(
        entity,
        { name: fact.name, collectedAt, source: fact.source, data: fact.data },
        'service:forge-demo',
        now.toISOString(),
      );
      count++;
    }
  }
  return count;
}
