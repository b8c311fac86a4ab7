import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { SCAFFOLDER_SERVICE_ACTOR } from '@internal/plugin-forge-node';
import {
  ActiveExemption,
  CheckResult,
  EntityEvaluation,
  FORGE_ANNOTATIONS,
  Fact,
  isLevelProvisional,
  parseDuration,
  Scorecard,
  ScorecardCheck,
  summarise,
} from '@internal/plugin-compliance-common';
import { ComplianceStore, EvaluationWrite } from '../database/ComplianceStore';
import { CatalogReader } from './CatalogReader';
import { creationEvidenceRefusal, graceAnchors } from './gracePeriods';
import { hashOf } from './hashing';
import { ComplianceNotifier } from './Notifier';
import { PolicyPackLoader } from './PolicyPackLoader';

function ownerOf(entity: Entity): string | undefined {
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  if (typeof owner !== 'string') return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}

function dependsOnRefs(entity: Entity): string[] {
  const deps = (entity.spec as { dependsOn?: unknown } | undefined)?.dependsOn;
  if (!Array.isArray(deps)) return [];
  const refs: string[] = [];
  for (const dep of deps) {
    try {
      refs.push(
        stringifyEntityRef(
          parseEntityRef(String(dep), {
            defaultKind: 'component',
            defaultNamespace: entity.metadata.namespace ?? 'default',
          }),
        ),
      );
    } catch {
      // an invalid reference is the catalog's problem to report
    }
  }
  return refs;
}

const SEVERE = new Set(['high', 'critical']);

/**
 * The hash of what the facts say (name and data), not of when they were sent: CI re-pushing the same scan
 * every day is no change, so it adds no history. Freshness still counts: rules compare `collectedAt` to now.
 */
export function factsDigest(facts: Array<Pick<Fact, 'name' | 'data'>>): string {
  if (facts.length === 0) return 'none';
  return hashOf(
    facts
      .map(f => [f.name, f.data])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/**
 * Evaluates catalog entities with the loaded policy packs and persists the results. Logic only: no HTTP here.
 */
export class ComplianceService {
  constructor(
    private readonly deps: {
      store: ComplianceStore;
      loader: PolicyPackLoader;
      catalog: CatalogReader;
      notifier: ComplianceNotifier;
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  private async environment() {
    const all = await this.deps.catalog.listGroups();
    return {
      groups: all.map(g => stringifyEntityRef(g)),
    };
  }

  private blueprintsFrom(entities: Entity[]): Record<string, string> {
    const blueprints: Record<string, string> = {};
    for (const e of entities) {
      const version =
        e.metadata.annotations?.[FORGE_ANNOTATIONS.blueprintVersion];
      if (e.kind === 'Template' && version)
        blueprints[e.metadata.name] = version;
    }
    return blueprints;
  }

  private async activeExemptions(): Promise<ActiveExemption[]> {
    const approved = await this.deps.store.listExemptions({
      status: 'approved',
    });
    return approved.map(e => ({
      id: e.id,
      checkId: e.checkId,
      entityRef: e.entityRef,
      expiresAt: e.expiresAt,
    }));
  }

  private evaluateWith(
    entities: Entity[],
    context: {
      byRef: Map<string, Entity>;
      groups: string[];
      blueprints: Record<string, string>;
      facts: Map<string, Array<Fact & { hash: string }>>;
      exemptions: ActiveExemption[];
      now: Date;
      /** When compliance first evaluated each entity; entities not in it are seen for the first time now. */
      firstSeen: Map<string, string>;
    },
  ): EvaluationWrite[] {
    const { evaluator, ruleHashes } = this.deps.loader.policy;
    // One environment object for the whole run: the evaluator converts it once.
    const environment = {
      groups: context.groups,
      blueprints: context.blueprints,
    };
    return entities.map(entity => {
      const entityRef = stringifyEntityRef(entity);
      const facts = context.facts.get(entityRef) ?? [];
      const related = dependsOnRefs(entity)
        .map(ref => context.byRef.get(ref))
        .filter((e): e is Entity => !!e);
      const evaluation = evaluator.evaluate(
        {
          entity,
          related,
          facts,
          exemptions: context.exemptions,
          now: context.now,
          // Only an entity a blueprint run created has a grace period (gracePeriods.ts): no anchor, no pending.
          firstSeenAt: context.firstSeen.has(entityRef)
            ? new Date(context.firstSeen.get(entityRef)!)
            : undefined,
        },
        environment,
      );
      return {
        entityRef,
        ownerRef: ownerOf(entity),
        etag: entity.metadata.etag,
        evaluation,
        ruleHashes,
        factsHash: factsDigest(facts),
      };
    });
  }

  /**
   * When the grace periods of the entities that can have one start: the chained gate record of the blueprint run that
   * created each (gracePeriods.ts). Deleting and registering an entity again, editing it, or deleting its score
   * history starts no new grace period; an entity no blueprint run created has none.
   */
  private firstSeen(entities: Entity[]): Promise<Map<string, string>> {
    return graceAnchors(
      this.deps.store,
      entities
        .filter(e => e.metadata.annotations?.[FORGE_ANNOTATIONS.blueprint])
        .map(e => stringifyEntityRef(e)),
    );
  }

  private async persist(writes: EvaluationWrite[], at: Date) {
    const { changes } = await this.deps.store.applyEvaluations(
      writes,
      at.toISOString(),
    );
    const checks = new Map(
      this.deps.loader.policy.packs.flatMap(p => p.checks.map(c => [c.id, c])),
    );
    for (const change of changes) {
      // A pending check that fails has run out of its grace period: as much a regression as a passing one failing.
      if (
        (change.from === 'pass' || change.from === 'pending') &&
        (change.to === 'fail' || change.to === 'error') &&
        SEVERE.has(change.severity) &&
        change.ownerRef
      ) {
        const check = checks.get(change.checkId);
        await this.deps.notifier.checkRegressed({
          ownerRef: change.ownerRef,
          entityRef: change.entityRef,
          checkId: change.checkId,
          title: check?.title ?? change.checkId,
          severity: change.severity,
          remediation: check?.remediation ?? '',
        });
      }
    }
    return changes;
  }

  /** Evaluates every catalog entity; entities that left the catalog are closed in history. */
  async evaluateAll(): Promise<{
    evaluated: number;
    changedResults: number;
    removed: number;
  }> {
    const now = this.now();
    const entities = await this.deps.catalog.listEntities();
    const byRef = new Map(entities.map(e => [stringifyEntityRef(e), e]));
    const groups = entities
      .filter(e => e.kind === 'Group')
      .map(e => stringifyEntityRef(e));
    const writes = this.evaluateWith(entities, {
      byRef,
      groups,
      blueprints: this.blueprintsFrom(entities),
      facts: await this.deps.store.listFacts(),
      exemptions: await this.activeExemptions(),
      now,
      firstSeen: await this.firstSeen(entities),
    });
    const changes = await this.persist(writes, now);
    const gone = (await this.deps.store.listSummaries())
      .map(s => s.entityRef)
      .filter(ref => !byRef.has(ref));
    await this.deps.store.removeEntities(gone, now.toISOString());
    return {
      evaluated: writes.length,
      changedResults: changes.length,
      removed: gone.length,
    };
  }

  /**
   * Evaluates the entities whose catalog etag changed (or that are new) since their last evaluation, and those with a
   * pending check whose grace period has ended: nothing about them changed, but the answer has (pending becomes fail).
   */
  async evaluateChanged(): Promise<{ evaluated: number }> {
    const [etags, summaries] = await Promise.all([
      this.deps.catalog.listEtags(),
      this.deps.store.listSummaries(),
    ]);
    const known = new Map(summaries.map(s => [s.entityRef, s.etag]));
    const changed = new Set(
      etags
        .filter(e => known.get(e.entityRef) !== e.etag)
        .map(e => e.entityRef),
    );
    for (const ref of await this.pendingDue()) changed.add(ref);
    if (changed.size > 0) await this.evaluateEntities([...changed]);
    return { evaluated: changed.size };
  }

  /** Entities with a pending result that is due: its grace period ended, or its check no longer awaits evidence. */
  private async pendingDue(): Promise<string[]> {
    const pending = await this.deps.store.listCurrentPending();
    if (pending.length === 0) return [];
    const now = this.now().getTime();
    const checks = new Map(
      this.deps.loader.policy.packs.flatMap(p => p.checks.map(c => [c.id, c])),
    );
    const first = await graceAnchors(
      this.deps.store,
      pending.map(p => p.entityRef),
    );
    return [
      ...new Set(
        pending
          .filter(p => {
            const grace = checks.get(p.checkId)?.awaitsEvidence?.gracePeriod;
            const ms = grace === undefined ? undefined : parseDuration(grace);
            const start = first.get(p.entityRef);
            return ms === undefined || !start || Date.parse(start) + ms <= now;
          })
          .map(p => p.entityRef),
      ),
    ];
  }

  /** Evaluates the given entities now and stores the results. */
  async evaluateEntities(entityRefs: string[]): Promise<EntityEvaluation[]> {
    const now = this.now();
    const entities = await this.deps.catalog.getEntities(entityRefs);
    const related = await this.deps.catalog.getEntities([
      ...new Set(entities.flatMap(dependsOnRefs)),
    ]);
    const templates = await this.templates();
    const writes = this.evaluateWith(entities, {
      byRef: new Map(related.map(e => [stringifyEntityRef(e), e])),
      groups: (await this.environment()).groups,
      blueprints: this.blueprintsFrom(templates),
      facts: await this.deps.store.listFacts(
        entities.map(e => stringifyEntityRef(e)),
      ),
      exemptions: await this.activeExemptions(),
      now,
      firstSeen: await this.firstSeen(entities),
    });
    await this.persist(writes, now);
    return writes.map(w => w.evaluation);
  }

  private templates(): Promise<Entity[]> {
    return this.deps.catalog
      .listEntities()
      .then(all => all.filter(e => e.kind === 'Template'));
  }

  /** Evaluates an entity-shaped document without storing anything. */
  async dryRun(
    entity: Entity,
    mode: 'catalog' | 'request' = 'catalog',
  ): Promise<EntityEvaluation> {
    const related = await this.deps.catalog.getEntities(dependsOnRefs(entity));
    return this.deps.loader.policy.evaluator.evaluate(
      {
        entity,
        related,
        exemptions: await this.activeExemptions(),
        now: this.now(),
      },
      {
        groups: (await this.environment()).groups,
        blueprints: this.blueprintsFrom(await this.templates()),
      },
      mode,
    );
  }

  /** The scorecard of an entity now (from stored results) or as of a past date (rebuilt from history). */
  async scorecard(entityRef: string, asOf?: Date): Promise<Scorecard> {
    const { packs } = this.deps.loader.policy;
    const checks = new Map(
      packs.flatMap(p => p.checks.map(c => [c.id, { pack: p, check: c }])),
    );
    const controlMeta = new Map(
      packs.flatMap(p => p.controls.map(c => [c.id, c])),
    );
    const exemptions = new Map(
      (
        await this.deps.store.listExemptions({ entityRef, status: 'approved' })
      ).map(e => [e.checkId, e]),
    );

    let results: CheckResult[];
    let evaluatedAt: string;
    let since = new Map<string, string>();
    if (asOf) {
      const state = await this.deps.store.stateAsOf(asOf.toISOString(), [
        entityRef,
      ]);
      if (state.length === 0) {
        throw new NotFoundError(
          `No compliance results for ${entityRef} on or before ${asOf.toISOString()}`,
        );
      }
      results = state.map(h => ({
        checkId: h.checkId,
        packName: checks.get(h.checkId)?.pack.name ?? 'unknown',
        packVersion: h.packVersion,
        severity: checks.get(h.checkId)?.check.severity ?? 'medium',
        level: checks.get(h.checkId)?.check.level ?? 'bronze',
        controls: checks.get(h.checkId)?.check.controls ?? [],
        status: h.status as CheckResult['status'],
        message: h.message,
      }));
      since = new Map(state.map(h => [h.checkId, h.recordedAt]));
      evaluatedAt = state.reduce(
        (max, h) => (h.recordedAt > max ? h.recordedAt : max),
        '',
      );
    } else {
      const summary = await this.deps.store.getSummary(entityRef);
      if (!summary) {
        throw new NotFoundError(
          `${entityRef} has not been evaluated; it may not exist in the catalog`,
        );
      }
      const current = await this.deps.store.getCurrent(entityRef);
      results = current.map(r => ({
        checkId: r.checkId,
        packName: r.packName,
        packVersion: r.packVersion,
        severity: checks.get(r.checkId)?.check.severity ?? 'medium',
        level: checks.get(r.checkId)?.check.level ?? 'bronze',
        controls: checks.get(r.checkId)?.check.controls ?? [],
        status: r.status as CheckResult['status'],
        message: r.message,
      }));
      since = new Map(current.map(r => [r.checkId, r.since]));
      evaluatedAt = summary.evaluatedAt;
    }
    // A pending result is due when its grace period ends: from the gate record of the blueprint run that created it.
    if (results.some(r => r.status === 'pending')) {
      const first = (await graceAnchors(this.deps.store, [entityRef])).get(
        entityRef,
      );
      for (const r of results.filter(x => x.status === 'pending')) {
        const grace = checks.get(r.checkId)?.check.awaitsEvidence?.gracePeriod;
        const ms = grace === undefined ? undefined : parseDuration(grace);
        if (first && ms !== undefined)
          r.dueAt = new Date(Date.parse(first) + ms).toISOString();
      }
    }
    const summary = summarise(
      entityRef,
      new Date(evaluatedAt || Date.now()),
      results,
      packs,
    );
    const severityOrder = { critical: 0, high: 1, medium: 2, low: 3 };
    const statusOrder: Record<string, number> = {
      fail: 0,
      error: 0,
      pending: 1,
      exempt: 2,
      pass: 3,
    };
    const scorecardChecks: ScorecardCheck[] = results
      .map(r => {
        const exemption = exemptions.get(r.checkId);
        return {
          ...r,
          title: checks.get(r.checkId)?.check.title ?? r.checkId,
          remediation: checks.get(r.checkId)?.check.remediation ?? '',
          since: since.get(r.checkId),
          exemption:
            r.status === 'exempt' && exemption
              ? {
                  id: exemption.id,
                  expiresAt: exemption.expiresAt,
                  decidedBy: exemption.decidedBy,
                  justification: exemption.justification,
                }
              : undefined,
        };
      })
      .sort(
        (a, b) =>
          statusOrder[a.status] - statusOrder[b.status] ||
          severityOrder[a.severity] - severityOrder[b.severity],
      );
    return {
      entityRef,
      evaluatedAt: summary.evaluatedAt,
      asOf: asOf?.toISOString(),
      score: summary.score,
      level: summary.level,
      ...(isLevelProvisional(summary.level, scorecardChecks)
        ? { levelProvisional: true }
        : {}),
      pending: summary.pending,
      nextDueAt: summary.nextDueAt,
      results: scorecardChecks,
      controls: Object.entries(summary.controls)
        .filter(([id]) => controlMeta.has(id))
        .map(([id, status]) => ({ ...controlMeta.get(id)!, status })),
    };
  }

  /** Stores a fact pushed by a tool and re-evaluates its entity. */
  async pushFact(
    entityRef: string,
    fact: Fact,
    pushedBy: string,
  ): Promise<EntityEvaluation> {
    const [entity] = await this.deps.catalog.getEntities([entityRef]);
    if (!entity)
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    if (pushedBy === SCAFFOLDER_SERVICE_ACTOR) {
      // The blueprints leave the first evidence of the project they just created (within the hour after its chained
      // gate record), and nothing about any other; the caller's audit event records a refusal.
      const refusal = await creationEvidenceRefusal(
        this.deps.store,
        entityRef,
        this.now(),
      );
      if (refusal) throw new NotAllowedError(refusal);
    }
    await this.deps.store.upsertFact(
      entityRef,
      fact,
      pushedBy,
      this.now().toISOString(),
    );
    const [evaluation] = await this.evaluateEntities([entityRef]);
    return evaluation;
  }
}
