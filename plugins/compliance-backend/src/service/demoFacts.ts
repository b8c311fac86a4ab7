import fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { Fact } from '@internal/plugin-compliance-common';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ComplianceStore } from '../database/ComplianceStore';
import { CatalogReader } from './CatalogReader';
import { ComplianceService } from './ComplianceService';
import { PolicyPackLoader } from './PolicyPackLoader';

const DAY = 86400_000;

/** Who pushed the demo facts, in the facts table and the history. */
export const DEMO_ACTOR = 'service:forge-demo';

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

type DemoPush = { entityRef: string; fact: Fact };

/**
 * The demo facts of a file, each collected `daysAgo` before `now`, oldest first: an entity may list a fact more
 * than once (what CI reported weeks ago, then what it reports now), and the newest one is the one that stays.
 */
async function readDemoFacts(file: string, now: Date): Promise<DemoPush[]> {
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
  return parsed.data
    .flatMap(({ entity, facts }) =>
      facts.map(f => ({
        entityRef: entity,
        fact: {
          name: f.name,
          collectedAt: new Date(now.getTime() - f.daysAgo * DAY).toISOString(),
          source: f.source,
          data: f.data,
        },
      })),
    )
    .sort((a, b) => a.fact.collectedAt.localeCompare(b.fact.collectedAt));
}

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
  const pushes = await readDemoFacts(file, now);
  for (const { entityRef, fact } of pushes) {
    await store.upsertFact(entityRef, fact, DEMO_ACTOR, now.toISOString());
  }
  return pushes.length;
}

/**
 * The demo history of the embedded default: a fresh portal whose compliance trend starts today shows one point,
 * which tells a reader nothing. On a fresh portal (no fact, no result stored yet) this replays the demo facts as
 * CI would have pushed them over the past weeks, through the compliance service at the time of each push, and the
 * scheduled evaluation of the whole catalog at the end of every week. So the history is written the one way it is
 * ever written - the service's evaluations, appended to the hash chain in order - and only its clock is set back.
 *
 * It waits until every entity the demo facts name is in the catalog (the catalog is still reading its files right
 * after start), and runs once per process; the scheduled evaluations call it before they evaluate anything, so
 * nothing is recorded "now" before the backdated weeks.
 */
export class DemoHistory {
  private running?: Promise<void>;
  private finished = false;

  constructor(
    private readonly options: {
      store: ComplianceStore;
      loader: PolicyPackLoader;
      catalog: CatalogReader;
      logger: LoggerService;
      file: string;
      /** Weeks of history before now, with an evaluation of the catalog at the end of each. */
      weeks: number;
      now?: () => Date;
    },
  ) {}

  /**
   * Replays the demo history if the portal is fresh and the catalog has the demo entities; once. False while the
   * portal is fresh but the catalog is still loading: the caller evaluates nothing yet, or the first result
   * recorded "now" would make the portal no longer fresh and the demo would never get its history.
   */
  async seedIfFresh(): Promise<boolean> {
    if (this.finished) return true;
    this.running ??= this.seed().finally(() => {
      this.running = undefined;
    });
    await this.running;
    return this.finished;
  }

  private async seed(): Promise<void> {
    const { store, catalog, logger, file, weeks } = this.options;
    if (
      (await store.listFacts()).size > 0 ||
      (await store.countHistory()) > 0
    ) {
      this.finished = true;
      return;
    }
    const now = this.options.now?.() ?? new Date();
    const pushes = await readDemoFacts(file, now);
    const inCatalog = new Set(
      (await catalog.listEntities()).map(e => stringifyEntityRef(e)),
    );
    const missing = pushes.filter(p => !inCatalog.has(p.entityRef));
    if (missing.length > 0) return; // the catalog is still loading: the next scheduled run tries again

    let clock = now;
    const compliance = new ComplianceService({
      store,
      loader: this.options.loader,
      catalog,
      logger,
      // Owners are not told about regressions of weeks that were replayed.
      notifier: {
        checkRegressed: async () => {},
        exemptionExpiring: async () => {},
        exemptionDecided: async () => {},
        exemptionRequested: async () => {},
      },
      now: () => clock,
    });
    const weekEnds = Array.from(
      { length: weeks + 1 },
      (_, i) => new Date(now.getTime() - (weeks - i) * 7 * DAY),
    );
    let next = 0;
    for (const [week, at] of weekEnds.entries()) {
      for (; next < pushes.length; next++) {
        const { entityRef, fact } = pushes[next];
        if (Date.parse(fact.collectedAt) > at.getTime()) break;
        clock = new Date(fact.collectedAt);
        await compliance.pushFact(entityRef, fact, DEMO_ACTOR);
      }
      // Today's evaluation at the time the replay ends, so it is the newest: on several replicas, another one's
      // scheduled evaluation may have run while this one replayed (it saw the history started) and must not stay
      // the latest word with the facts half replayed.
      clock = week === weeks ? this.options.now?.() ?? new Date() : at;
      await compliance.evaluateAll();
    }
    this.finished = true;
    logger.info(
      `Replayed ${pushes.length} demo facts and ${weeks} weeks of compliance history from ${file}`,
    );
  }
}
