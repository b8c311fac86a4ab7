import { CompiledRule, compileRule } from './cel';
import { FORGE_ANNOTATIONS } from './annotations';
import { parseDuration } from './duration';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ActiveExemption,
  Check,
  CheckResult,
  ControlStatus,
  EntityEvaluation,
  Fact,
  Level,
  LEVELS,
  PolicyPack,
  Severity,
} from './types';

/**
 * What the evaluator knows about the world beyond the entity itself.
 *
 * @public
 */
export interface EvaluationEnvironment {
  /** Refs of the groups that exist in the catalog (rules read them as `groups`). */
  groups: string[];
  /** Current version of each blueprint by name (rules read them as `blueprints`). */
  blueprints: Record<string, string>;
}

/**
 * One entity-shaped document to evaluate: a stored catalog entity, or the entity a blueprint is about to register.
 *
 * @public
 */
export interface EvaluationInput {
  entity: Entity;
  /** Entities the document depends on (data resources), read by rules as `related`. */
  related?: Entity[];
  facts?: Fact[];
  exemptions?: ActiveExemption[];
  now?: Date;
  /**
   * When the entity's grace period starts: the backend gives the time of the chained gate record of the blueprint run
   * that created it (never a date read from the entity or from tables outside the history), and nothing for an
   * entity no blueprint run created. Grace periods of checks that await CI evidence start then; without it (and
   * outside request mode) no check is pending.
   */
  firstSeenAt?: Date;
}

/**
 * `catalog` evaluates everything; `request` is the scaffolder gate, which leaves out checks marked `gate: skip`
 * (things that cannot exist before the project does, such as scan results).
 *
 * @public
 */
export type EvaluationMode = 'catalog' | 'request';

const SEVERITY_WEIGHT: Record<Severity, number> = {
  low: 1,
  medium: 3,
  high: 5,
  critical: 10,
};

interface CompiledCheck {
  pack: PolicyPack;
  check: Check;
  run: CompiledRule;
  kinds?: Set<string>;
}

/**
 * The end of a check's grace period for an entity first seen at `firstSeenAt`, or undefined when the check awaits no
 * evidence. Only projects created from a blueprint get one (the caller passes `firstSeenAt` only for an entity with a
 * gate record of a blueprint run, and the entity must carry forge.io/blueprint too): a blueprint ships the CI that
 * produces the evidence, so such a project is waiting for its first run, not ignoring a control.
 *
 * @public
 */
export function evidenceDueAt(
  check: Pick<Check, 'awaitsEvidence'>,
  entity: Entity,
  firstSeenAt: Date | undefined,
): Date | undefined {
  if (!check.awaitsEvidence || !firstSeenAt) return undefined;
  if (!entity.metadata.annotations?.[FORGE_ANNOTATIONS.blueprint])
    return undefined;
  const ms = parseDuration(check.awaitsEvidence.gracePeriod);
  return ms === undefined ? undefined : new Date(firstSeenAt.getTime() + ms);
}

/**
 * The CEL library recognises maps and lists by their constructor, so objects made in another JavaScript realm (a
 * `vm` context, Jest's sandbox, `structuredClone` from the host) would be "unsupported types". This returns the value
 * itself when everything in it is from this realm, which is the normal case and costs one walk, and otherwise a copy
 * made of this realm's objects.
 */
function ownRealm<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as any;
  if (Array.isArray(v)) {
    let out: unknown[] = v.constructor === Array ? v : Array.from(v);
    for (let i = 0; i < out.length; i++) {
      const item = ownRealm(out[i]);
      if (item !== out[i]) {
        if (out === v) out = v.slice();
        out[i] = item;
      }
    }
    return out as T;
  }
  const ctor = v.constructor;
  if (ctor !== Object && ctor !== undefined) {
    if (ctor?.name === 'Date' && !(v instanceof Date))
      return new Date(v.getTime()) as T;
    if (ctor?.name !== 'Object' || Object.getPrototypeOf(ctor.prototype))
      return value;
  }
  // Plain objects of this realm (and prototype-less ones) are kept unless something inside them is copied.
  let out: Record<string, unknown> =
    ctor === Object || ctor === undefined ? v : { ...v };
  for (const key of Object.keys(v)) {
    const item = ownRealm(v[key]);
    if (item !== v[key]) {
      if (out === v) out = { ...v };
      out[key] = item;
    }
  }
  return out as T;
}

function normaliseRef(
  ref: unknown,
  defaultKind: string,
  namespace: string,
): string | undefined {
  if (typeof ref !== 'string' || ref.length === 0) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace: namespace }),
    );
  } catch {
    return undefined;
  }
}

function appliesTo(compiled: CompiledCheck, entity: Entity): boolean {
  const { appliesTo: where } = compiled.check;
  if (
    compiled.kinds &&
    !compiled.kinds.has(entity.kind.toLocaleLowerCase('en-US'))
  )
    return false;
  const spec = (entity.spec ?? {}) as Record<string, unknown>;
  if (where.types && !where.types.includes(String(spec.type))) return false;
  if (where.lifecycles && !where.lifecycles.includes(String(spec.lifecycle)))
    return false;
  if (where.annotations) {
    const annotations = entity.metadata.annotations ?? {};
    for (const [key, value] of Object.entries(where.annotations)) {
      if (!(key in annotations)) return false;
      if (value !== true && annotations[key] !== value) return false;
    }
  }
  return true;
}

/**
 * The one policy engine of Forge: evaluates entity-shaped documents against policy packs whose rules are CEL.
 * Rules are compiled once; `evaluate` is synchronous and pure, so the scaffolder gate, the scheduled scorecard run
 * and the dry-run endpoint all get the same answer for the same input.
 *
 * Rules see these variables: `entity` (the whole document), `kind`, `annotations`, `labels`, `tags`, `spec`,
 * `refs` (`owner`, `system`, `dependsOn` as full entity refs), `related` (dependencies: `ref`, `kind`,
 * `annotations`), `facts` (by name: the fact's data plus `collectedAt` and `source`), `groups`, `blueprints`,
 * `params` (the pack's parameters) and `now`.
 *
 * @public
 */
export class PolicyEvaluator {
  private readonly compiled: CompiledCheck[];

  static fromPacks(packs: PolicyPack[]): PolicyEvaluator {
    return new PolicyEvaluator(packs);
  }

  private constructor(readonly packs: PolicyPack[]) {
    this.compiled = packs.flatMap(pack =>
      pack.checks.map(check => ({
        pack,
        check,
        run: compileRule(check.rule),
        kinds: check.appliesTo.kinds
          ? new Set(
              check.appliesTo.kinds.map(k => k.toLocaleLowerCase('en-US')),
            )
          : undefined,
      })),
    );
  }

  /** Every check of every pack, with the pack it belongs to. */
  get checks(): Array<{ pack: PolicyPack; check: Check }> {
    return this.compiled.map(({ pack, check }) => ({ pack, check }));
  }

  private readonly params = new Map<PolicyPack, unknown>();
  private environmentCache?: {
    key: EvaluationEnvironment;
    value: EvaluationEnvironment;
  };

  private paramsOf(pack: PolicyPack): unknown {
    if (!this.params.has(pack))
      this.params.set(pack, ownRealm(pack.parameters));
    return this.params.get(pack);
  }

  /** The environment is the same for every entity of a run: check it once. */
  private environmentOf(environment: EvaluationEnvironment) {
    if (this.environmentCache?.key !== environment)
      this.environmentCache = {
        key: environment,
        value: ownRealm(environment),
      };
    return this.environmentCache.value;
  }

  evaluate(
    input: EvaluationInput,
    givenEnvironment: EvaluationEnvironment,
    mode: EvaluationMode = 'catalog',
  ): EntityEvaluation {
    const now = ownRealm(input.now ?? new Date());
    const entity = ownRealm(input.entity);
    const environment = this.environmentOf(givenEnvironment);
    const namespace = entity.metadata.namespace ?? 'default';
    const entityRef = stringifyEntityRef(entity);
    const spec = (entity.spec ?? {}) as Record<string, unknown>;
    const dependsOn = Array.isArray(spec.dependsOn)
      ? spec.dependsOn
          .map(r => normaliseRef(r, 'component', namespace))
          .filter((r): r is string => !!r)
      : [];
    const facts: Record<string, Record<string, unknown>> = {};
    for (const fact of input.facts ?? []) {
      facts[fact.name] = {
        ...ownRealm(fact.data),
        collectedAt: canonicalTime(fact.collectedAt),
        source: fact.source ?? '',
      };
    }
    const refs = {
      owner: normaliseRef(spec.owner, 'group', namespace) ?? '',
      system: normaliseRef(spec.system, 'system', namespace) ?? '',
      dependsOn,
    };
    // CEL reads the plain JSON: no conversion, and rules that do not read a variable cost nothing for it.
    const baseBindings = {
      entity,
      kind: entity.kind,
      annotations: entity.metadata.annotations ?? {},
      labels: entity.metadata.labels ?? {},
      tags: entity.metadata.tags ?? [],
      spec,
      refs,
      related: Array.from(input.related ?? [], r => ({
        ref: stringifyEntityRef(r),
        kind: r.kind,
        annotations: ownRealm(r.metadata.annotations ?? {}),
      })),
      facts,
      groups: environment.groups,
      blueprints: environment.blueprints,
      now,
    };
    const bindingsByPack = new Map(
      this.packs.map(p => [p, { ...baseBindings, params: this.paramsOf(p) }]),
    );
    // An exemption covers one entity, or every entity of an owning group (how the scaffolder gate lets a team
    // pass a check for a project that does not exist yet).
    const owner = refs.owner;
    const exemptions = new Map(
      (input.exemptions ?? [])
        .filter(
          e =>
            (e.entityRef === entityRef ||
              (owner !== '' && e.entityRef === owner)) &&
            Date.parse(e.expiresAt) > now.getTime(),
        )
        .map(e => [e.checkId, e]),
    );

    // A project being requested is new: its grace periods would start now.
    const firstSeenAt =
      input.firstSeenAt ?? (mode === 'request' ? now : undefined);

    const results: CheckResult[] = [];
    for (const compiled of this.compiled) {
      const { pack, check } = compiled;
      if (mode === 'request' && check.gate === 'skip') continue;
      const result: CheckResult = {
        checkId: check.id,
        packName: pack.name,
        packVersion: pack.version,
        severity: check.severity,
        level: check.level,
        controls: check.controls,
        status: 'not_applicable',
      };
      if (appliesTo(compiled, entity)) {
        let outcome: unknown;
        try {
          outcome = compiled.run(bindingsByPack.get(pack)!);
        } catch (e) {
          outcome = e;
        }
        if (outcome === true) {
          result.status = 'pass';
        } else if (outcome === false) {
          result.status = 'fail';
          result.message = check.remediation;
        } else {
          result.status = 'error';
          result.message =
            outcome instanceof Error
              ? `rule could not be evaluated: ${outcome.message.split('\n')[0]}`
              : `rule returned ${String(outcome)} instead of true or false`;
        }
        if (result.status === 'fail' || result.status === 'error') {
          awaitEvidence(result, check, entity, facts, firstSeenAt, now);
        }
        const exemption = exemptions.get(check.id);
        if (
          exemption &&
          (result.status === 'fail' || result.status === 'error')
        ) {
          result.status = 'exempt';
          result.message = `exempt until ${exemption.expiresAt.slice(
            0,
            10,
          )} (exemption ${exemption.id})`;
        }
      }
      results.push(result);
    }
    return summarise(entityRef, now, results, this.packs);
  }
}

/**
 * A failing check that awaits CI evidence none of which has arrived is pending until its grace period ends, and then
 * fails saying so. Evidence that arrived and says "fail" is a failure at once.
 */
function awaitEvidence(
  result: CheckResult,
  check: Check,
  entity: Entity,
  facts: Record<string, unknown>,
  firstSeenAt: Date | undefined,
  now: Date,
) {
  const missing = (check.awaitsEvidence?.facts ?? []).filter(
    name => !(name in facts),
  );
  if (missing.length === 0) return;
  const due = evidenceDueAt(check, entity, firstSeenAt);
  if (!due) return;
  const what = `${missing.join(' and ')} evidence`;
  if (now.getTime() < due.getTime()) {
    result.status = 'pending';
    result.message = `Waiting for ${what} from the project's CI until ${due.toISOString()}.`;
  } else {
    result.message = `No ${what} arrived within the grace period that ended ${due.toISOString()}. ${
      check.remediation
    }`;
  }
  result.dueAt = due.toISOString();
}

/**
 * A fact's time as rules read it: RFC 3339 in UTC with milliseconds (`2026-11-20T09:00:00.123Z`). CI sends times
 * in any RFC 3339 form the API accepts (Python's isoformat gives microseconds and `+00:00`), and CEL's timestamp()
 * refuses some of them (over 30 characters), which made a check `error` on a project's first CI run.
 */
function canonicalTime(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/**
 * Whether a level rests on checks still awaiting evidence (pending at or below it): it holds only if they pass.
 *
 * @public
 */
export function isLevelProvisional(
  level: Level | 'none',
  results: ReadonlyArray<Pick<CheckResult, 'status' | 'level'>>,
): boolean {
  if (level === 'none') return false;
  const rank = LEVELS.indexOf(level);
  return results.some(
    r => r.status === 'pending' && LEVELS.indexOf(r.level) <= rank,
  );
}

/**
 * Score, level and control status from check results.
 *
 * @public
 */
export function summarise(
  entityRef: string,
  evaluatedAt: Date,
  results: CheckResult[],
  packs: PolicyPack[],
): EntityEvaluation {
  const applicable = results.filter(r => r.status !== 'not_applicable');
  const ok = (r: CheckResult) => r.status === 'pass' || r.status === 'exempt';
  // Score and level are over what is decided; a pending check counts neither way (it makes the level provisional).
  const pending = applicable.filter(r => r.status === 'pending');
  const decided = applicable.filter(r => r.status !== 'pending');
  const total = decided.reduce(
    (sum, r) => sum + SEVERITY_WEIGHT[r.severity],
    0,
  );
  const earned = decided
    .filter(ok)
    .reduce((sum, r) => sum + SEVERITY_WEIGHT[r.severity], 0);

  // The level, like the score, is over what is decided: a project that has not had its first CI run is waiting for
  // evidence, not failing, so it is not born at bronze. The level is then provisional (it holds only if the pending
  // checks at or below it pass when their evidence arrives, and falls the moment one fails or its grace period ends).
  let level: Level | 'none' = 'none';
  for (const candidate of LEVELS) {
    const rank = LEVELS.indexOf(candidate);
    if (!decided.filter(r => LEVELS.indexOf(r.level) <= rank).every(ok)) break;
    level = candidate;
  }
  const levelProvisional = isLevelProvisional(level, results);

  const controls: Record<string, ControlStatus> = {};
  for (const pack of packs) {
    for (const control of pack.controls)
      controls[control.id] ??= 'not_applicable';
  }
  // A control takes the most telling status of its checks: fail, then pending, then exempt, then pass.
  const rank: Record<ControlStatus, number> = {
    not_applicable: 0,
    pass: 1,
    exempt: 2,
    pending: 3,
    fail: 4,
  };
  for (const r of applicable) {
    const status: ControlStatus =
      r.status === 'error' ? 'fail' : (r.status as ControlStatus);
    for (const id of r.controls) {
      const current = controls[id] ?? 'not_applicable';
      if (rank[status] > rank[current]) controls[id] = status;
    }
  }
  const dues = pending
    .map(r => r.dueAt)
    .filter((d): d is string => !!d)
    .sort();

  return {
    entityRef,
    evaluatedAt: evaluatedAt.toISOString(),
    score: total === 0 ? 100 : Math.round((100 * earned) / total),
    level,
    ...(levelProvisional ? { levelProvisional } : {}),
    pending: pending.length,
    ...(dues.length ? { nextDueAt: dues[0] } : {}),
    results,
    controls,
  };
}
