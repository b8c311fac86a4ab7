import { randomUUID } from 'node:crypto';
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

/** The one-time job of the replay, claimed in the database so that one replica replays. */
export const DEMO_HISTORY_JOB = 'demo-history';
/** A claim this old without an end is taken as a replica that died replaying: the others stop waiting for it. */
const STALE_CLAIM_MS = 20 * 60_000;

/**
 * The demo history of the embedded default: a fresh portal whose compliance trend starts today shows one point,
 * which tells a reader nothing. While the demo entities have no facts and no results of their own, this replays the
 * demo facts as CI would have pushed them over the past weeks, through the compliance service at the time of each
 * push, and an evaluation of the catalog at the end of every week. So the history is written the one way it is
 * ever written - the service's evaluations, appended to the hash chain in order - and only its clock is set back.
 *
 * The condition is the demo entities' own record, not "nothing stored": a project created from a blueprint before
 * the first scheduled evaluation has facts and results of its own, and the demo still gets its weeks (the project
 * is not backdated: the past weeks evaluate only entities compliance had never seen).
 *
 * Once across replicas: the replay first claims a row in the database (compliance_claims, primary key), and a
 * replica that finds the claim waits for it to finish - its scheduled evaluations evaluate nothing meanwhile - unless
 * the claim is older than STALE_CLAIM_MS without an end (its replica died; the partial history stays, and is logged).
 * It waits until every entity the demo facts name is in the catalog (the catalog is still reading its files right
 * after start); the scheduled evaluations call it before they evaluate anything, so nothing is recorded "now"
 * before the backdated weeks.
 */
export class DemoHistory {
  private running?: Promise<void>;
  private finished = false;
  private readonly claimant = randomUUID();

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
   * Replays the demo history if the demo entities have none and the catalog has them; once across replicas. False
   * while the catalog is still loading or another replica replays: the caller evaluates nothing yet, or the first
   * results recorded "now" would come before the backdated weeks.
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
    const now = this.options.now?.() ?? new Date();
    // A claim decides: finished, or another replica replays (wait for it unless it died).
    const followClaim = async () => {
      const claim = await store.getJobClaim(DEMO_HISTORY_JOB);
      if (!claim) return false;
      if (claim.finishedAt) {
        this.finished = true;
      } else if (now.getTime() - Date.parse(claim.claimedAt) > STALE_CLAIM_MS) {
        logger.warn(
          `The demo history replay claimed at ${claim.claimedAt} never finished; evaluating without it`,
        );
        this.finished = true;
      }
      return true;
    };
    if (await followClaim()) return;
    const pushes = await readDemoFacts(file, now);
    const demoRefs = [...new Set(pushes.map(p => p.entityRef))];
    if (
      (await store.listFacts(demoRefs)).size > 0 ||
      (await store.firstEvaluatedAt(demoRefs)).size > 0
    ) {
      // Another replica may have claimed the replay since: its facts are not the demo entities' own.
      if (await followClaim()) return;
      // The demo entities have facts or results of their own (real ones, or a replay before claims existed).
      this.finished = true;
      return;
    }
    const entities = await catalog.listEntities();
    const inCatalog = new Set(entities.map(e => stringifyEntityRef(e)));
    if (demoRefs.some(ref => !inCatalog.has(ref))) return; // the catalog is still loading: the next run tries again
    if (
      !(await store.claimJob(
        DEMO_HISTORY_JOB,
        this.claimant,
        now.toISOString(),
      ))
    )
      return; // another replica claimed it a moment ago
    // Entities compliance has already evaluated (projects created before the replay) are not backdated.
    const seen = await store.firstEvaluatedAt([...inCatalog]);
    const past = [...inCatalog].filter(ref => !seen.has(ref));

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
      { length: weeks },
      (_, i) => new Date(now.getTime() - (weeks - i) * 7 * DAY),
    );
    let next = 0;
    const pushUntil = async (at: Date) => {
      for (; next < pushes.length; next++) {
        const { entityRef, fact } = pushes[next];
        if (Date.parse(fact.collectedAt) > at.getTime()) break;
        clock = new Date(fact.collectedAt);
        await compliance.pushFact(entityRef, fact, DEMO_ACTOR);
      }
    };
    for (const at of weekEnds) {
      await pushUntil(at);
      clock = at;
      await compliance.evaluateEntities(past);
    }
    await pushUntil(now);
    // Today's evaluation of the whole catalog at the time the replay ends, so it is the newest word.
    clock = this.options.now?.() ?? new Date();
    await compliance.evaluateAll();
    await store.finishJob(DEMO_HISTORY_JOB, clock.toISOString());
    this.finished = true;
    logger.info(
      `Replayed ${pushes.length} demo facts and ${weeks} weeks of compliance history from ${file}`,
    );
  }
}
