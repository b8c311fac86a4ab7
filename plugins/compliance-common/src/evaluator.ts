import {
  celEnv,
  celList,
  celMap,
  isCelError,
  parse as parseCel,
  plan,
} from '@bufbuild/cel';
import { RE2JS } from '@bufbuild/re2';
import { strings } from '@bufbuild/cel/ext';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
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

type Planned = ReturnType<typeof plan>;

interface CompiledCheck {
  pack: PolicyPack;
  check: Check;
  run: Planned;
  kinds?: Set<string>;
}

/**
 * Converts JSON into CEL values once. Handing plain objects to CEL makes it convert them again on every access,
 * in every rule; an entity is evaluated by some thirty rules, so converting once is several times faster.
 */
function toCelValue(value: unknown): unknown {
  if (Array.isArray(value)) return celList(value.map(toCelValue) as any);
  if (
    value !== null &&
    typeof value === 'object' &&
    (value as object).constructor === Object
  ) {
    return celMap(
      new Map(Object.entries(value).map(([k, v]) => [k, toCelValue(v)])) as any,
    );
  }
  return value;
}

/**
 * RE2 (linear time, no catastrophic backtracking on hostile input) with compiled patterns kept: CEL's default
 * compiles the pattern of `matches()` on every call.
 */
function cachingRe2() {
  const cache = new Map<string, { test(text: string): boolean }>();
  return {
    compile(pattern: string) {
      let matcher = cache.get(pattern);
      if (!matcher) {
        const compiled = RE2JS.compile(pattern);
        matcher = { test: (text: string) => compiled.test(text) };
        if (cache.size < 1000) cache.set(pattern, matcher);
      }
      return matcher;
    },
  };
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
    // The strings extension gives rules split, lowerAscii, replace and friends.
    const env = celEnv({ funcs: strings, re2: cachingRe2() });
    this.compiled = packs.flatMap(pack =>
      pack.checks.map(check => ({
        pack,
        check,
        run: plan(env, parseCel(check.rule)),
        kinds: check.appliesTo.kinds
          ? new Set(
              check.appliesTo.kinds.map(k => k.toLocaleLowerCase('en-US')),
            )
          : undefined,
      })),
    );
  }

  private readonly params = new Map<PolicyPack, unknown>();
  private environmentCache?: {
    key: EvaluationEnvironment;
    values: { groups: unknown; blueprints: unknown };
  };

  private paramsOf(pack: PolicyPack): unknown {
    if (!this.params.has(pack))
      this.params.set(pack, toCelValue(pack.parameters));
    return this.params.get(pack);
  }

  /** The environment is the same for every entity of a run: convert it once. */
  private environmentValues(environment: EvaluationEnvironment) {
    if (this.environmentCache?.key !== environment) {
      this.environmentCache = {
        key: environment,
        values: {
          groups: toCelValue(environment.groups),
          blueprints: toCelValue(environment.blueprints),
        },
      };
    }
    return this.environmentCache.values;
  }

  /** Every check of every pack, with the pack it belongs to. */
  get checks(): Array<{ pack: PolicyPack; check: Check }> {
    return this.compiled.map(({ pack, check }) => ({ pack, check }));
  }

  evaluate(
    input: EvaluationInput,
    environment: EvaluationEnvironment,
    mode: EvaluationMode = 'catalog',
  ): EntityEvaluation {
    const now = input.now ?? new Date();
    const { entity } = input;
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
        ...fact.data,
        collectedAt: fact.collectedAt,
        source: fact.source ?? '',
      };
    }
    const refs = {
      owner: normaliseRef(spec.owner, 'group', namespace) ?? '',
      system: normaliseRef(spec.system, 'system', namespace) ?? '',
      dependsOn,
    };
    const shared = this.environmentValues(environment);
    const baseBindings = {
      // Rules rarely read the whole document: CEL converts just the path they access.
      entity: entity as unknown,
      kind: entity.kind,
      annotations: toCelValue(entity.metadata.annotations ?? {}),
      labels: toCelValue(entity.metadata.labels ?? {}),
      tags: toCelValue(entity.metadata.tags ?? []),
      spec: toCelValue(spec),
      refs: toCelValue(refs),
      related: toCelValue(
        (input.related ?? []).map(r => ({
          ref: stringifyEntityRef(r),
          kind: r.kind,
          annotations: r.metadata.annotations ?? {},
        })),
      ),
      facts: toCelValue(facts),
      groups: shared.groups,
      blueprints: shared.blueprints,
      now: timestampFromDate(now),
    };
    const bindingsByPack = new Map(
      this.packs.map(p => [
        p,
        { ...baseBindings, params: this.paramsOf(p) } as Parameters<Planned>[0],
      ]),
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
        const outcome = compiled.run(bindingsByPack.get(pack)!);
        if (outcome === true) {
          result.status = 'pass';
        } else if (outcome === false) {
          result.status = 'fail';
          result.message = check.remediation;
        } else {
          result.status = 'error';
          result.message = isCelError(outcome)
            ? `rule could not be evaluated: ${outcome.message}`
            : `rule returned ${String(outcome)} instead of true or false`;
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
  const total = applicable.reduce(
    (sum, r) => sum + SEVERITY_WEIGHT[r.severity],
    0,
  );
  const earned = applicable
    .filter(ok)
    .reduce((sum, r) => sum + SEVERITY_WEIGHT[r.severity], 0);

  let level: Level | 'none' = 'none';
  for (const candidate of LEVELS) {
    const rank = LEVELS.indexOf(candidate);
    if (!applicable.filter(r => LEVELS.indexOf(r.level) <= rank).every(ok))
      break;
    level = candidate;
  }

  const controls: Record<string, ControlStatus> = {};
  for (const pack of packs) {
    for (const control of pack.controls)
      controls[control.id] ??= 'not_applicable';
  }
  for (const r of applicable) {
    for (const id of r.controls) {
      const current = controls[id];
      if (r.status === 'fail' || r.status === 'error') controls[id] = 'fail';
      else if (r.status === 'exempt' && current !== 'fail')
        controls[id] = 'exempt';
      else if (
        r.status === 'pass' &&
        (current === 'not_applicable' || current === undefined)
      )
        controls[id] = 'pass';
    }
  }

  return {
    entityRef,
    evaluatedAt: evaluatedAt.toISOString(),
    score: total === 0 ? 100 : Math.round((100 * earned) / total),
    level,
    results,
    controls,
  };
}
