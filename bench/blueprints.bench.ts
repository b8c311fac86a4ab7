/* eslint-disable no-console */
// Blueprints: time from submitting a blueprint's form to its entity being in the catalog, for each of the five
// blueprints, on the embedded default (SQLite files, local git), through the real backend and its HTTP API as the
// Create page uses it. The baseline, per blueprint and in the same run, is a task on the same skeletons that only
// renders them (fetch:template) and registers the result (forge:publish then forge:catalog:register: on the
// embedded default a project has to be in a git repository before the catalog can read it). The ratio is what
// Forge's estimate, environment plan and compliance gate add. Target (issue 5): at most 10 s per blueprint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { SAMPLE_ANSWERS } from '../plugins/scaffolder-backend-module-forge/src/blueprints/sampleAnswers';
// @ts-ignore: plain ES modules shared with the scripts
import { startTestBackend, stopTestBackend } from '../scripts/e2e-server.mjs';
// @ts-ignore
import { ROOT, waitForReady } from '../scripts/lib.mjs';
// @ts-ignore
import { median, printTable } from './lib.mjs';

const RUNS = Number(process.env.FORGE_BENCH_BLUEPRINT_RUNS ?? 3);
const PORT = Number(process.env.FORGE_BENCH_PORT ?? 7037);
const BASE = `http://localhost:${PORT}`;

/** Same skeletons, no estimate, plan or gate: render, publish, register. */
const BASELINE_TEMPLATE = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: {
    name: 'bench-baseline',
    title: 'Benchmark baseline: render and register only',
  },
  spec: {
    owner: 'group:default/developer-experience',
    type: 'bench',
    parameters: [
      {
        properties: {
          blueprint: { type: 'string' },
          values: { type: 'object' },
        },
      },
    ],
    steps: [
      {
        id: 'shared',
        action: 'fetch:template',
        input: {
          url: './_shared/skeleton',
          templateFileExtension: true,
          values: '${{ parameters.values }}',
        },
      },
      {
        id: 'fetch',
        action: 'fetch:template',
        input: {
          url: './${{ parameters.blueprint }}/skeleton/project',
          templateFileExtension: true,
          values: '${{ parameters.values }}',
        },
      },
      {
        id: 'publish',
        action: 'forge:publish',
        input: {
          target: 'project',
          name: '${{ parameters.values.name }}',
          owner: '${{ parameters.values.owner }}',
          description: '${{ parameters.values.description }}',
        },
      },
      {
        id: 'register',
        action: 'forge:catalog:register',
        input: { catalogInfoUrl: '${{ steps.publish.output.catalogInfoUrl }}' },
      },
    ],
  },
};

/** The guest's team: the owner and cost center the guest may choose. */
const GUEST_TEAM = 'group:default/retention-analytics';

/** What the blueprint's own steps would have computed, as fixed values, so the skeletons render the same files. */
function baselineValues(blueprint: string, answers: Record<string, unknown>) {
  return {
    ...answers,
    blueprint: `${blueprint}@1.0.0`,
    blueprintTitle: blueprint,
    componentType: 'service',
    tags: ['bench'],
    classification: 'internal',
    // The cost center of the owning team (Retention Analytics), which the guest may charge.
    costCenter: 'CC-4111',
    costEstimate: '100.00',
    monthlyBudget: '120',
    currency: 'USD',
    costLines: [],
    costSummary: '',
    sourceLocation: 'url:https://example.invalid/bench',
    repositoryUrl: 'https://example.invalid/bench',
    environmentRequest: 'bench',
    environmentRequestUrl: 'https://example.invalid/bench',
    namespace: answers.name,
    quota: { cpu: '4', memory: '16Gi', gpu: 0 },
    storage: { retentionDays: 365, endpoint: 's3://bench', encryption: 'kms' },
    serviceAccount: `${answers.name}-workload`,
    endpoints: {},
  };
}

async function json(response: Response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(
      `${response.url}: HTTP ${response.status} ${JSON.stringify(body).slice(
        0,
        500,
      )}`,
    );
  return body;
}

async function guestToken(): Promise<string> {
  const body = await json(
    await fetch(`${BASE}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    }),
  );
  return body.backstageIdentity.token;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Submits a task and returns the milliseconds until the new component is in the catalog. */
async function submitToRegistered(
  token: string,
  templateRef: string,
  values: Record<string, unknown>,
  name: string,
): Promise<number> {
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  };
  const started = performance.now();
  const { id } = await json(
    await fetch(`${BASE}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ templateRef, values }),
    }),
  );
  await waitFor(`task ${id} of ${templateRef}`, async () => {
    const task = await json(
      await fetch(`${BASE}/api/scaffolder/v2/tasks/${id}`, { headers }),
    );
    if (task.status === 'failed' || task.status === 'cancelled') {
      const events = await json(
        await fetch(`${BASE}/api/scaffolder/v2/tasks/${id}/events`, {
          headers,
        }),
      );
      const last = events.filter((e: any) => e.body?.message).slice(-3);
      throw new Error(
        `task of ${templateRef} ${task.status}: ${last
          .map((e: any) => e.body.message)
          .join(' | ')}`,
      );
    }
    return task.status === 'completed' ? true : undefined;
  });
  await waitFor(`component ${name} in the catalog`, async () => {
    const res = await fetch(
      `${BASE}/api/catalog/entities/by-name/component/default/${name}`,
      { headers },
    );
    return res.status === 200 ? true : undefined;
  });
  return performance.now() - started;
}

async function main() {
  const work = fs.mkdtempSync(
    path.join(os.tmpdir(), 'forge-bench-blueprints-'),
  );
  const dataDir = path.join(work, 'data');
  // The baseline template sits beside copies of the blueprints so that it can fetch the same skeletons.
  const templates = path.join(work, 'templates');
  fs.cpSync(path.join(ROOT, 'templates'), templates, { recursive: true });
  fs.writeFileSync(
    path.join(templates, 'bench-baseline.yaml'),
    stringify(BASELINE_TEMPLATE),
  );
  // Config arrays replace rather than merge: repeat the portal's catalog locations and add the baseline's.
  const appConfig = parse(
    fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'),
  );
  const configFile = path.join(work, 'app-config.bench.yaml');
  fs.writeFileSync(
    configFile,
    stringify({
      catalog: {
        locations: [
          ...appConfig.catalog.locations,
          {
            type: 'file',
            target: path.join(templates, 'bench-baseline.yaml'),
            // Templates come only from locations that allow them (app-config.yaml's catalog.rules).
            rules: [{ allow: ['Template'] }],
          },
        ],
      },
    }),
  );

  const child = startTestBackend({
    port: PORT,
    dataDir,
    extraConfig: [configFile],
    stdio: 'ignore',
    detached: true,
  });
  try {
    await waitForReady(BASE, {
      isAlive: (() => child.exitCode === null) as any,
    });
    const token = await guestToken();
    // The catalog has to have read the templates and the organisation before the first task.
    await waitFor(
      'the blueprints in the catalog',
      async () => {
        const res = await fetch(
          `${BASE}/api/catalog/entities/by-query?filter=kind=template&limit=50`,
          {
            headers: { authorization: `Bearer ${token}` },
          },
        );
        if (!res.ok) return undefined;
        const names = new Set(
          (await res.json()).items.map((e: any) => e.metadata.name),
        );
        return names.has('bench-baseline') &&
          Object.keys(SAMPLE_ANSWERS).every(n => names.has(n))
          ? true
          : undefined;
      },
      300_000,
    );

    const rows: Array<{ name: string; values: Record<string, number> }> = [];
    const baselineMs: number[] = [];
    const blueprintMs: Record<string, number> = {};
    let run = 0;
    for (const [blueprint, sample] of Object.entries(SAMPLE_ANSWERS)) {
      // The bench signs in as the guest, who may own projects only for their own team (the owner rule).
      const answers = { ...sample, owner: GUEST_TEAM };
      const base: number[] = [];
      const full: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        run += 1;
        const baseName = `bench-base-${run}`;
        base.push(
          await submitToRegistered(
            token,
            'template:default/bench-baseline',
            {
              blueprint,
              values: baselineValues(blueprint, { ...answers, name: baseName }),
            },
            baseName,
          ),
        );
        const name = `bench-${run}-${blueprint}`.slice(0, 40).replace(/-$/, '');
        full.push(
          await submitToRegistered(
            token,
            `template:default/${blueprint}`,
            { ...answers, name },
            name,
          ),
        );
      }
      baselineMs.push(median(base));
      blueprintMs[blueprint] = median(full);
      console.log(
        `  ${blueprint}: median ${(median(full) / 1000).toFixed(
          2,
        )} s over ${RUNS} runs ` +
          `(render and register only: ${(median(base) / 1000).toFixed(2)} s)`,
      );
    }
    rows.push({
      name: 'render + register',
      values: { seconds: median(baselineMs) / 1000 },
    });
    for (const [blueprint, ms] of Object.entries(blueprintMs))
      rows.push({ name: blueprint, values: { seconds: ms / 1000 } });
    printTable(
      `Blueprints: submit to registered entity on the embedded default (median of ${RUNS} runs; target at most 10 s)`,
      [
        {
          key: 'seconds',
          label: 'time',
          format: (v: number) => `${v.toFixed(2)} s`,
        },
      ],
      rows,
    );
    const slowest = Math.max(...Object.values(blueprintMs)) / 1000;
    console.log(
      `  slowest blueprint ${slowest.toFixed(2)} s: target ${
        slowest <= 10 ? 'met' : 'NOT met'
      }`,
    );
  } finally {
    await stopTestBackend(child);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
