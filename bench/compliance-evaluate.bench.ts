/* eslint-disable no-console */
// Compliance evaluation: 10,000 synthetic entities against the baseline pack, end to end including storage on a
// SQLite file (first run, when every result is new, and a steady-state run), and the same checks written for
// json-rules-engine (the engine Backstage Tech Insights uses), run in the same process on the same entities.
// Targets (issue 3): 10,000 entities in at most 2 s on SQLite; at least 10x json-rules-engine; 30 unchanged daily
// evaluations add no history rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { Engine, RuleProperties } from 'json-rules-engine';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  Fact,
  parsePolicyPack,
  PolicyEvaluator,
} from '@internal/plugin-compliance-common';
import { DatabaseComplianceStore } from '../plugins/compliance-backend/src/database/DatabaseComplianceStore';
import { EvaluationWrite } from '../plugins/compliance-backend/src/database/ComplianceStore';
import { hashOf } from '../plugins/compliance-backend/src/service/hashing';
import { factsDigest } from '../plugins/compliance-backend/src/service/ComplianceService';
import { printTable } from './lib.mjs';

const N = Number(process.env.FORGE_BENCH_ENTITIES ?? 10_000);
const ROOT = path.resolve(__dirname, '..');
const pack = parsePolicyPack(
  fs.readFileSync(path.join(ROOT, 'policies/baseline.yaml'), 'utf8'),
  'baseline.yaml',
);
const evaluator = PolicyEvaluator.fromPacks([pack]);
const now = new Date('2026-11-26T12:00:00Z');

// --- Synthetic organisation: a deterministic mix of compliant and failing projects and resources -------------
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
const groups = Array.from({ length: 40 }, (_, i) => `group:default/team-${i}`);
const classifications = ['public', 'internal', 'confidential', 'restricted'];
const regions = ['eu-west-1', 'eu-central-1', 'us-east-1', 'eu-north-1'];
const resources: Entity[] = Array.from({ length: 200 }, (_, i) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: `dataset-${i}`,
    namespace: 'default',
    description: 'A dataset projects read from, with its classification.',
    annotations: {
      'forge.io/data-classification': pick(classifications),
      'forge.io/contains-pii': rand() < 0.3 ? 'true' : 'false',
      'forge.io/region': pick(regions),
      'forge.io/retention-days': String(Math.floor(rand() * 4000)),
      'forge.io/endpoint':
        rand() < 0.8 ? `s3://bucket-${i}/data/` : `db-${i}.internal:3306`,
      'forge.io/encryption': rand() < 0.9 ? 'kms' : 'none',
    },
  },
  spec: { type: 'dataset', owner: pick(groups), system: 'data' },
}));
const byRef = new Map(resources.map(r => [stringifyEntityRef(r), r]));

function project(i: number): Entity {
  const annotations: Record<string, string> = {
    'backstage.io/techdocs-ref': 'dir:.',
    'backstage.io/source-location': `url:https://git.example/p-${i}`,
    'forge.io/blueprint': `${pick([
      'ml-training-pipeline',
      'spark-batch-pipeline',
      'dbt-analytics',
    ])}@1.${rand() < 0.8 ? 0 : 1}.0`,
    'forge.io/data-classification': pick(classifications),
    'forge.io/contains-pii': rand() < 0.4 ? 'true' : 'false',
    'forge.io/region': pick(regions),
    'forge.io/cost-center': `CC-${4000 + Math.floor(rand() * 900)}`,
    'forge.io/cost-tags': `forge-project=p-${i}`,
    'forge.io/monthly-budget': String(1000 + Math.floor(rand() * 9000)),
    'forge.io/environment-request': `url:https://git.example/gitops/p-${i}`,
    'forge.io/monitoring': 'prometheus',
    'forge.io/data-quality': 'great-expectations',
  };
  if (rand() < 0.5) {
    annotations['forge.io/gpu-profile'] = 'nvidia-t4';
    annotations['forge.io/gpu-quota'] = String(Math.floor(rand() * 10));
    annotations['forge.io/model-card'] = 'docs/model-card.md';
    annotations['forge.io/model-stage'] = pick([
      'Staging',
      'Production',
      'None',
    ]);
  }
  for (const key of Object.keys(annotations))
    if (rand() < 0.04) delete annotations[key];
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `p-${i}`,
      namespace: 'default',
      etag: 'e1',
      description: 'A synthetic data project for the benchmark.',
      annotations,
    },
    spec: {
      type: pick(['ml-pipeline', 'ml-service', 'data-pipeline', 'workspace']),
      lifecycle: pick(['production', 'experimental']),
      owner: pick(groups),
      system: 'data',
      dependsOn: [
        stringifyEntityRef(pick(resources)),
        stringifyEntityRef(pick(resources)),
      ],
    },
  };
}
const entities: Entity[] = [
  ...Array.from({ length: N - resources.length }, (_, i) => project(i)),
  ...resources,
];
// CI pushes fresh facts every day, so a day later the facts are as old as the day before: nothing changes.
const factsOf = (i: number, at: Date = now): Fact[] => [
  {
    name: 'dependency-scan',
    collectedAt: new Date(at.getTime() - (i % 12) * 86400_000).toISOString(),
    data: { critical: i % 17 === 0 ? 1 : 0, high: i % 9 },
  },
  {
    name: 'secret-scan',
    collectedAt: at.toISOString(),
    data: { leaks: i % 50 === 0 ? 1 : 0 },
  },
  {
    name: 'ci',
    collectedAt: at.toISOString(),
    data: { status: i % 13 === 0 ? 'failing' : 'passing' },
  },
];
const environment = {
  groups,
  blueprints: {
    'ml-training-pipeline': '1.0.0',
    'spark-batch-pipeline': '1.0.0',
    'dbt-analytics': '1.0.0',
  },
};
const relatedOf = (e: Entity) =>
  ((e.spec?.dependsOn as string[]) ?? [])
    .map(r => byRef.get(r))
    .filter((r): r is Entity => !!r);

// --- Forge: CEL evaluator, then storage ---------------------------------------------------------------------
function evaluateAll(at: Date) {
  return entities.map((entity, i) => {
    const facts = factsOf(i, at);
    return {
      entityRef: stringifyEntityRef(entity),
      ownerRef: entity.spec?.owner as string,
      etag: entity.metadata.etag,
      evaluation: evaluator.evaluate(
        { entity, related: relatedOf(entity), facts, now: at },
        environment,
      ),
      ruleHashes,
      factsHash: factsDigest(facts),
    } satisfies EvaluationWrite;
  });
}
const ruleHashes = new Map(pack.checks.map(c => [c.id, hashOf(c)]));

// --- The same checks for json-rules-engine ----------------------------------------------------------------------
const A = (key: string) => ({ fact: 'annotations', path: `$['${key}']` });
const has = (key: string) => ({
  ...A(key),
  operator: 'notEqual',
  value: undefined as any,
});
const eq = (key: string, value: unknown) => ({
  ...A(key),
  operator: 'equal',
  value,
});
const inList = (key: string, value: unknown[]) => ({
  ...A(key),
  operator: 'in',
  value,
});
const matches = (key: string, value: string) => ({
  ...A(key),
  operator: 'matches',
  value,
});
const spec = (field: string, operator: string, value: unknown) => ({
  fact: 'spec',
  path: `$.${field}`,
  operator,
  value,
});
const rank = {
  public: 0,
  internal: 1,
  confidential: 2,
  restricted: 3,
} as Record<string, number>;
const jreConditions: Record<string, any> = {
  'ownership.group-exists': {
    all: [{ fact: 'owner', operator: 'in', value: groups }],
  },
  'inventory.system-set': { all: [spec('system', 'notEqual', undefined)] },
  'inventory.lifecycle-valid': {
    all: [
      spec('lifecycle', 'in', ['experimental', 'production', 'deprecated']),
    ],
  },
  'inventory.description': {
    all: [
      {
        fact: 'descriptionLength',
        operator: 'greaterThanInclusive',
        value: 20,
      },
    ],
  },
  'data.classification-valid': {
    all: [inList('forge.io/data-classification', Object.keys(rank))],
  },
  'data.pii-declared': {
    all: [inList('forge.io/contains-pii', ['true', 'false'])],
  },
  'data.pii-classified': {
    all: [
      inList('forge.io/data-classification', ['confidential', 'restricted']),
    ],
  },
  'data.classification-covers-sources': {
    all: [
      {
        fact: 'classificationRank',
        operator: 'greaterThanInclusive',
        value: { fact: 'sourcesRank' },
      },
    ],
  },
  'data.pii-sources-declared': {
    any: [
      { fact: 'sourcesPii', operator: 'equal', value: false },
      eq('forge.io/contains-pii', 'true'),
    ],
  },
  'data.region-declared': {
    all: [matches('forge.io/region', '^[a-z]{2}-[a-z]+-[0-9]$')],
  },
  'data.restricted-in-approved-region': {
    all: [
      inList(
        'forge.io/region',
        pack.parameters.approvedRegions &&
          (pack.parameters.approvedRegions as any).restricted,
      ),
    ],
  },
  'data.confidential-in-approved-region': {
    all: [
      inList(
        'forge.io/region',
        (pack.parameters.approvedRegions as any).confidential,
      ),
    ],
  },
  'data.retention-declared': {
    all: [
      matches('forge.io/retention-days', '^[0-9]+$'),
      { fact: 'retentionDays', operator: 'lessThanInclusive', value: 3650 },
      { fact: 'retentionDays', operator: 'greaterThan', value: 0 },
    ],
  },
  'data.encrypted-transport': {
    all: [{ fact: 'endpointEncrypted', operator: 'equal', value: true }],
  },
  'data.encryption-at-rest': {
    any: [
      {
        ...A('forge.io/data-classification'),
        operator: 'notIn',
        value: ['confidential', 'restricted'],
      },
      inList('forge.io/encryption', ['kms', 'cmk']),
    ],
  },
  'docs.techdocs': {
    any: [
      has('backstage.io/techdocs-ref'),
      has('backstage.io/techdocs-entity'),
    ],
  },
  'source.location': { all: [has('backstage.io/source-location')] },
  'provenance.blueprint': {
    all: [
      matches('forge.io/blueprint', '^[a-z0-9-]+@[0-9]+[.][0-9]+[.][0-9]+$'),
    ],
  },
  'provenance.blueprint-current': {
    all: [{ fact: 'blueprintCurrent', operator: 'equal', value: true }],
  },
  'ml.model-card': {
    all: [
      has('forge.io/model-card'),
      { ...A('forge.io/model-card'), operator: 'notEqual', value: '' },
    ],
  },
  'ml.registry-stage': {
    all: [
      inList('forge.io/model-stage', [
        'None',
        'Staging',
        'Production',
        'Archived',
      ]),
    ],
  },
  'ml.production-serves-production-model': {
    all: [eq('forge.io/model-stage', 'Production')],
  },
  'gpu.quota-declared': {
    all: [
      matches('forge.io/gpu-quota', '^[0-9]+$'),
      { fact: 'gpuQuota', operator: 'greaterThanInclusive', value: 1 },
      { fact: 'gpuQuota', operator: 'lessThanInclusive', value: 8 },
    ],
  },
  'cost.cost-center': {
    all: [matches('forge.io/cost-center', '^CC-[0-9]{4}$')],
  },
  'cost.tags': {
    all: [
      matches(
        'forge.io/cost-tags',
        '^[A-Za-z0-9_.:/-]+=[^,=]+(,[A-Za-z0-9_.:/-]+=[^,=]+)*$',
      ),
    ],
  },
  'cost.budget': {
    all: [matches('forge.io/monthly-budget', '^[0-9]+([.][0-9]+)?$')],
  },
  'env.environment-request': { all: [has('forge.io/environment-request')] },
  'env.monitoring': {
    all: [
      has('forge.io/monitoring'),
      { ...A('forge.io/monitoring'), operator: 'notEqual', value: 'none' },
    ],
  },
  'data.quality-checks': {
    all: [
      inList(
        'forge.io/data-quality',
        pack.parameters.dataQualityFrameworks as string[],
      ),
    ],
  },
  'security.dependency-scan-fresh': {
    all: [{ fact: 'scanAgeHours', operator: 'lessThan', value: 168 }],
  },
  'security.no-critical-vulnerabilities': {
    all: [{ fact: 'scan', path: '$.critical', operator: 'equal', value: 0 }],
  },
  'security.high-vulnerabilities-bounded': {
    all: [
      { fact: 'scan', path: '$.high', operator: 'lessThanInclusive', value: 5 },
    ],
  },
  'security.no-leaked-secrets': {
    all: [{ fact: 'secrets', path: '$.leaks', operator: 'equal', value: 0 }],
  },
  'ci.tests-passing': {
    all: [
      { fact: 'ci', path: '$.status', operator: 'equal', value: 'passing' },
    ],
  },
};
const missing = pack.checks.filter(c => !jreConditions[c.id]).map(c => c.id);
if (missing.length)
  throw new Error(`json-rules-engine rules missing for ${missing.join(', ')}`);

function createJreEngine() {
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addOperator(
    'matches',
    (value: unknown, pattern: string) =>
      typeof value === 'string' && new RegExp(pattern).test(value),
  );
  for (const check of pack.checks) {
    // Applicability as conditions, like a Tech Insights check would need it.
    const where: any[] = [];
    if (check.appliesTo.kinds)
      where.push({
        fact: 'kind',
        operator: 'in',
        value: check.appliesTo.kinds,
      });
    if (check.appliesTo.types)
      where.push(spec('type', 'in', check.appliesTo.types));
    if (check.appliesTo.lifecycles)
      where.push(spec('lifecycle', 'in', check.appliesTo.lifecycles));
    for (const [key, value] of Object.entries(
      check.appliesTo.annotations ?? {},
    ))
      where.push(value === true ? has(key) : eq(key, value));
    const rule: RuleProperties = {
      name: check.id,
      conditions: { all: [...where, jreConditions[check.id]] },
      event: { type: check.id },
    };
    engine.addRule(rule);
  }
  return engine;
}

async function runJre(sample: number) {
  const engine = createJreEngine();
  let passed = 0;
  for (let i = 0; i < sample; i++) {
    const entity = entities[i];
    const annotations = entity.metadata.annotations ?? {};
    const related = relatedOf(entity);
    const facts = factsOf(i);
    const scan = facts.find(f => f.name === 'dependency-scan')!;
    const { events } = await engine.run({
      kind: entity.kind,
      annotations,
      spec: entity.spec ?? {},
      owner: entity.spec?.owner,
      descriptionLength: entity.metadata.description?.length ?? 0,
      classificationRank:
        rank[annotations['forge.io/data-classification']] ?? -1,
      sourcesRank: Math.max(
        -1,
        ...related.map(
          r =>
            rank[
              r.metadata.annotations?.['forge.io/data-classification'] ?? ''
            ] ?? -1,
        ),
      ),
      sourcesPii: related.some(
        r => r.metadata.annotations?.['forge.io/contains-pii'] === 'true',
      ),
      retentionDays: Number(annotations['forge.io/retention-days']),
      endpointEncrypted:
        /^(https|s3|gs|abfss):\/\//.test(
          annotations['forge.io/endpoint'] ?? '',
        ) ||
        /:(443|5432|6566|9093)$/.test(annotations['forge.io/endpoint'] ?? ''),
      blueprintCurrent: (() => {
        const [name, version] = (annotations['forge.io/blueprint'] ?? '').split(
          '@',
        );
        return (
          (environment.blueprints as Record<string, string>)[name] === version
        );
      })(),
      gpuQuota: Number(annotations['forge.io/gpu-quota']),
      scanAgeHours: (now.getTime() - Date.parse(scan.collectedAt)) / 3600_000,
      scan: scan.data,
      secrets: facts.find(f => f.name === 'secret-scan')!.data,
      ci: facts.find(f => f.name === 'ci')!.data,
    });
    passed += events.length;
  }
  return passed;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bench-compliance-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'compliance.sqlite') },
    useNullAsDefault: true,
  });
  try {
    const store = await DatabaseComplianceStore.fromKnex(knex);

    // Evaluation only (CEL).
    let t = performance.now();
    const first = evaluateAll(now);
    const evalMs = performance.now() - t;

    // End to end, first run: every result is new and written, with its history record.
    t = performance.now();
    await store.applyEvaluations(evaluateAll(now), now.toISOString());
    const firstRunMs = performance.now() - t;
    const historyAfterFirst = await store.countHistory();

    // End to end, steady state: 30 daily evaluations where nothing changed.
    const steady: number[] = [];
    for (let day = 1; day <= 30; day++) {
      const at = new Date(now.getTime() + day * 86400_000);
      t = performance.now();
      await store.applyEvaluations(evaluateAll(at), at.toISOString());
      steady.push(performance.now() - t);
    }
    const historyAdded = (await store.countHistory()) - historyAfterFirst;
    steady.sort((a, b) => a - b);
    const steadyMs = steady[Math.floor(steady.length / 2)];

    // json-rules-engine on a sample (it is much slower), scaled to entities per second.
    const sample = Math.min(N, 2000);
    t = performance.now();
    await runJre(sample);
    const jrePerSecond = sample / ((performance.now() - t) / 1000);
    t = performance.now();
    entities
      .slice(0, sample)
      .forEach((entity, i) =>
        evaluator.evaluate(
          { entity, related: relatedOf(entity), facts: factsOf(i), now },
          environment,
        ),
      );
    const celPerSecond = sample / ((performance.now() - t) / 1000);

    const perSecond = (ms: number) => N / (ms / 1000);
    printTable(
      `compliance: ${N} entities x ${pack.checks.length} checks (baseline: json-rules-engine, same checks, same process)`,
      [
        {
          key: 'rate',
          label: '',
          format: (v: number) =>
            `${Math.round(v).toLocaleString('en-US')} entities/s`,
        },
      ],
      [
        { name: 'json-rules-engine', values: { rate: jrePerSecond } },
        { name: 'Forge CEL (eval only)', values: { rate: celPerSecond } },
        {
          name: 'Forge first run +SQLite',
          values: { rate: perSecond(firstRunMs) },
        },
        { name: 'Forge steady +SQLite', values: { rate: perSecond(steadyMs) } },
      ],
    );
    console.log(
      `  ${N} entities end to end on SQLite: first run ${(
        firstRunMs / 1000
      ).toFixed(2)} s, steady state ${(steadyMs / 1000).toFixed(
        2,
      )} s (target at most 2 s); evaluation alone ${(evalMs / 1000).toFixed(
        2,
      )} s`,
    );
    console.log(
      `  history rows: ${historyAfterFirst} after the first run, ${historyAdded} added by 30 unchanged daily evaluations (target 0)`,
    );
    console.log(
      `  first run checked ${
        first.length
      } entities; CEL vs json-rules-engine ${(
        celPerSecond / jrePerSecond
      ).toFixed(1)}x (target at least 10x)`,
    );
  } finally {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(String(e?.stack ?? e).slice(0, 2000));
  process.exit(1);
});
