/*
 * Forge as operators run it for hundreds of developers: identical backend replicas sharing one PostgreSQL. Three
 * real backends (packages/backend from its sources) on their own ports against fresh databases of the PostgreSQL
 * that scripts/services.sh starts, with schedules shortened through config. Every run of a scheduled task is
 * recorded from Backstage's own task spans (taskRunRecorder.cjs).
 *
 * Runs only where a PostgreSQL is configured (BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING, which
 * `./forge test` and CI always set); on SQLite there is one replica by definition.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import knexFactory, { Knex } from 'knex';
import { stringify as toYaml } from 'yaml';
import { ExportServer, focusCsv, Charge } from './__testUtils__/focusExport';
import { Replica } from './__testUtils__/Replica';
import {
  CycleExpectation,
  oncePerCycleProblems,
  readTaskRuns,
} from './__testUtils__/taskRuns';

jest.setTimeout(300_000);

const postgres = Object.entries(process.env)
  .map(([key, url]) => ({
    id: key.match(
      /^BACKSTAGE_TEST_DATABASE_(POSTGRES\d+)_CONNECTION_STRING$/,
    )?.[1],
    url,
  }))
  .find((p): p is { id: string; url: string } => !!p.id && !!p.url);

// Ports of this test (7116-7129 are reserved for it and the operations benchmarks).
const EXPORT_PORT = 7117;
const REPLICA_PORTS = [7118, 7119, 7120];
const DOUBLE_RUN_PORTS = [7121, 7122];

const CADENCE = {
  evaluateAll: 10_000,
  evaluateChanged: 4_000,
  ingestion: 4_000,
  alerts: 6_000,
};
// Config layers merge objects, so a duration names every unit app-config.yaml may use ({ minutes: 30 } plus
// { seconds: 10 } would be 30 minutes 10 seconds).
const seconds = (ms: number) => ({ hours: 0, minutes: 0, seconds: ms / 1000 });

/** The layer over the embedded default that turns a backend into a replica of this test. */
const HISTORY_KEY = randomBytes(32).toString('hex');

function replicaConfig(options: {
  prefix: string;
  dir: string;
  exportUrl: string;
  changeScheduleScope?: 'local';
}) {
  const schedule = (cadence: number, timeoutMs: number) => ({
    frequency: seconds(cadence),
    timeout: seconds(timeoutMs),
    initialDelay: seconds(2_000),
  });
  return {
    backend: {
      database: {
        client: 'pg',
        connection: postgres!.url,
        prefix: options.prefix,
      },
      reading: { allow: [{ host: new URL(options.exportUrl).host }] },
    },
    catalog: { processingInterval: seconds(5_000) },
    forge: {
      compliance: {
        // As in production: one history key for every replica (each would otherwise generate its own in its data
        // folder, and a replica would refuse a history sealed by another's key).
        history: { key: HISTORY_KEY },
        schedule: schedule(CADENCE.evaluateAll, 240_000),
        changeSchedule: {
          ...schedule(CADENCE.evaluateChanged, 60_000),
          ...(options.changeScheduleScope
            ? { scope: options.changeScheduleScope }
            : {}),
        },
      },
      cost: {
        demoData: { enabled: false },
        ingestion: {
          folder: path.join(options.dir, 'inbox'),
          locations: [options.exportUrl],
          // Short, so a run lost with its replica is given up (and taken by another replica) within the test.
          schedule: schedule(CADENCE.ingestion, 30_000),
        },
        alerts: { schedule: schedule(CADENCE.alerts, 30_000) },
      },
    },
  };
}

async function startReplicas(options: {
  ports: number[];
  dir: string;
  config: object;
}): Promise<Replica[]> {
  const configFile = path.join(options.dir, 'replica.yaml');
  fs.writeFileSync(configFile, toYaml(options.config));
  // A port still held (by a replica of an earlier run, say) would answer the readiness probe for a replica that
  // never started.
  for (const port of options.ports) await Replica.assertPortFree(port);
  const replicas = options.ports.map((port, i) =>
    Replica.start({
      name: `replica-${i + 1}`,
      port,
      dir: options.dir,
      configs: [configFile],
      runLog: path.join(options.dir, 'task-runs.jsonl'),
    }),
  );
  try {
    await Promise.all(replicas.map(r => r.ready()));
  } catch (error) {
    await Promise.all(replicas.map(r => r.stop()));
    throw error;
  }
  return replicas;
}

async function dropDatabases(prefix: string) {
  const admin = knexFactory({ client: 'pg', connection: postgres!.url });
  try {
    const { rows } = await admin.raw(
      'SELECT datname FROM pg_database WHERE datname LIKE ?',
      [`${prefix}%`],
    );
    for (const { datname } of rows as { datname: string }[]) {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
    }
  } finally {
    await admin.destroy();
  }
}

function pluginDb(prefix: string, pluginId: string): Knex {
  const url = new URL(postgres!.url);
  url.pathname = `/${prefix}${pluginId}`;
  return knexFactory({ client: 'pg', connection: url.toString() });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(
    `Timed out after ${timeoutMs / 1000} s waiting for ${what}${
      last ? `: ${last}` : ''
    }`,
  );
}

/** A Backstage token for a user of the embedded default (guest, or one of the demo personas). */
async function signIn(replica: Replica, persona?: string): Promise<string> {
  const res = await fetch(
    `${replica.baseUrl}/api/auth/${persona ? 'forge-demo' : 'guest'}/refresh`,
    {
      headers: {
        'x-requested-with': 'XMLHttpRequest',
        ...(persona ? { 'x-forge-demo-persona': persona } : {}),
      },
    },
  );
  if (!res.ok)
    throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return (await res.json()).backstageIdentity.token;
}

async function call(
  replica: Replica,
  token: string,
  pathname: string,
  init: { method?: string; body?: unknown } = {},
): Promise<any> {
  const res = await fetch(`${replica.baseUrl}${pathname}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(
      `${init.method ?? 'GET'} ${pathname} on ${replica.name}: ${
        res.status
      } ${text}`,
    );
  return text ? JSON.parse(text) : undefined;
}

/** The answer without the times of the last scheduled run, which move while the replicas keep working. */
function withoutRunTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRunTimes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !/^(evaluatedAt|generatedAt|asOf|loadedAt)$/.test(k))
        .map(([k, v]) => [k, withoutRunTimes(v)]),
    );
  }
  return value;
}

/**
 * Asks every live replica the same question at once until they agree; fails with the answers otherwise. Replicas
 * may differ for as long as a per-replica cache lives (the cost views' catalog snapshot: 30 s), not longer.
 */
async function expectAgreement(
  replicas: Replica[],
  token: string,
  pathname: string,
) {
  let answers: unknown[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    answers = await Promise.all(
      replicas.map(r => call(r, token, pathname).then(withoutRunTimes)),
    );
    const [first, ...rest] = answers;
    if (rest.every(a => isDeepStrictEqual(a, first))) return first;
    await new Promise(r => setTimeout(r, 2000));
  }
  throw new Error(
    `Replicas disagree on ${pathname}:\n${answers
      .map((a, i) => `${replicas[i].name}: ${JSON.stringify(a).slice(0, 2000)}`)
      .join('\n')}`,
  );
}

/** Each recipient got the notification once (the notifications backend stores one row per user and send). */
function expectOncePerRecipient(
  rows: Array<{ user: string }>,
  mustInclude: string[],
) {
  const users = rows.map(r => r.user).sort();
  expect(users).toEqual([...new Set(users)]);
  expect(users).toEqual(expect.arrayContaining(mustInclude));
}

/** Ingestions of one source that were running at the same time (the database lets only one run). */
function ingestionOverlaps(
  records: Array<{ id: string; started_at: Date; finished_at: Date | null }>,
): string[] {
  const sorted = [...records].sort((a, b) => +a.started_at - +b.started_at);
  return sorted.slice(1).flatMap((r, i) => {
    const before = sorted[i];
    const end = before.finished_at ? +before.finished_at : Infinity;
    return +r.started_at < end
      ? [`${r.id} started while ${before.id} ran`]
      : [];
  });
}

const thisMonth = () => new Date().toISOString().slice(0, 7);
const today = () => new Date().toISOString().slice(0, 10);
const total = (charges: Charge[]) => charges.reduce((s, c) => s + c.cost, 0);

const FORGE_TASKS: CycleExpectation[] = [
  { taskId: 'forge-compliance-evaluate-all', cadenceMs: CADENCE.evaluateAll },
  {
    taskId: 'forge-compliance-evaluate-changed',
    cadenceMs: CADENCE.evaluateChanged,
  },
  // Also started right after each successful ingestion (scheduler.triggerTask), three in this test at most.
  { taskId: 'cost-insights-alerts', cadenceMs: CADENCE.alerts, extraRuns: 3 },
  // The outcomes collector, on the embedded default's schedule (every 30 s).
  { taskId: 'forge-outcomes-collect', cadenceMs: 30_000 },
];

/**
 * Jobs every replica runs on its own schedule by design, each unit of work claimed in the database instead: cost
 * ingestion scans on every replica, and a partial unique index lets one replica at a time ingest a source (its
 * lease expires when its replica dies). They are checked by their work, not by their runs.
 */
const ARBITRATED_PER_SOURCE = new Set(['cost-insights-ingestion']);

const describeOnPostgres = postgres ? describe : describe.skip;

describeOnPostgres(
  `Forge on three replicas sharing one PostgreSQL (${
    postgres?.id ?? 'POSTGRES'
  })`,
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-replicas-'));
    const prefix = `forge_replicas_${randomBytes(4).toString('hex')}_`;
    let exportServer: ExportServer;
    let replicas: Replica[] = [];
    let token: string;
    let readyAt: number;
    let cost: Knex;
    let notifications: Knex;
    const live = () => replicas.filter(r => r.alive);

    // churn-model (budget 4,200 a month) goes over budget through the export URL, retention-dbt (1,800) past 80%
    // through the inbox; both are owned by retention-analytics (guest, liam.chen, sofia.rossi).
    const urlCharges: Charge[] = Array.from({ length: 50 }, (_, i) => ({
      day: today(),
      project: 'churn-model',
      cost: 100 + i,
      billingAccount: '123456789012',
    }));
    const inboxCharges: Charge[] = [
      {
        day: today(),
        project: 'retention-dbt',
        cost: 1500,
        billingAccount: '210987654321',
      },
    ];

    beforeAll(async () => {
      fs.mkdirSync(path.join(dir, 'inbox'));
      exportServer = await ExportServer.start(EXPORT_PORT);
      replicas = await startReplicas({
        ports: REPLICA_PORTS,
        dir,
        config: replicaConfig({ prefix, dir, exportUrl: exportServer.url }),
      });
      readyAt = Date.now();
      token = await signIn(replicas[0]);
      cost = pluginDb(prefix, 'cost-insights');
      notifications = pluginDb(prefix, 'notifications');
      // Until the catalog has read the demo organisation, nothing can be attributed or notified.
      await until(
        'the catalog on every replica',
        async () => {
          for (const r of replicas) {
            await call(
              r,
              token,
              '/api/catalog/entities/by-name/component/default/churn-model',
            );
          }
          return true;
        },
        120_000,
      );
      // ... and until each replica's cost views have read it (they keep a catalog snapshot for up to 30 s): a file
      // ingested before would be attributed again when the rules it was attributed with change.
      await until(
        'the cost views of every replica to see the catalog',
        async () => {
          for (const r of replicas) {
            const budgets = await call(r, token, '/api/cost-insights/budgets');
            if (
              !budgets.some(
                (b: { entityRef: string }) =>
                  b.entityRef === 'component:default/retention-dbt',
              )
            )
              return false;
          }
          return true;
        },
        120_000,
      );
    }, 400_000);

    afterAll(async () => {
      await Promise.all(replicas.map(r => r.stop()));
      await exportServer?.close();
      await cost?.destroy();
      await notifications?.destroy();
      await dropDatabases(prefix);
      // FORGE_REPLICAS_KEEP=1 keeps the replicas' logs and task runs for a look after a failure.
      if (!process.env.FORGE_REPLICAS_KEEP)
        fs.rmSync(dir, { recursive: true, force: true });
    }, 180_000);

    const failing = (replicaLogs: string) =>
      `${replicaLogs}\n${replicas
        .map(r => `--- ${r.name}\n${r.logTail(15)}`)
        .join('\n')}`;

    it('answers the same on every replica, and a write on one is read on the others at once', async () => {
      for (const pathname of [
        '/api/catalog/entities/by-query?filter=kind=group&fields=metadata.name,spec.parent&orderField=metadata.name,asc',
        '/api/compliance/policy-packs',
        '/api/compliance/dashboard',
        '/api/cost-insights/budgets',
      ]) {
        await expectAgreement(replicas, token, pathname);
      }

      // A scan finds leaked secrets in churn-model: CI posts it to one replica, the others serve the result.
      await until(
        'the first evaluation of churn-model',
        () =>
          call(
            replicas[1],
            token,
            '/api/compliance/scorecards/component/default/churn-model',
          ),
        60_000,
      );
      const ci = 'forge-demo-ci-token-change-me';
      await call(
        replicas[0],
        ci,
        '/api/compliance/facts/component/default/churn-model',
        {
          method: 'POST',
          body: {
            name: 'secret-scan',
            collectedAt: new Date().toISOString(),
            source: 'replica-test/gitleaks',
            data: { leaks: 3 },
          },
        },
      );
      for (const r of replicas.slice(1)) {
        const scorecard = await call(
          r,
          token,
          '/api/compliance/scorecards/component/default/churn-model',
        );
        expect(
          scorecard.results.find(
            (c: any) => c.checkId === 'security.no-leaked-secrets',
          )?.status,
        ).toBe('fail');
      }
      await expectAgreement(
        replicas,
        token,
        '/api/compliance/scorecards/component/default/churn-model',
      );
    });

    it('sends an exemption expiry warning once, whichever replica runs the evaluation', async () => {
      const scorecard = await call(
        replicas[2],
        token,
        '/api/compliance/scorecards/component/default/churn-model',
      );
      // Any check will do: an exemption may cover a check that passes today.
      const check =
        scorecard.results.find((c: any) => c.status === 'fail') ??
        scorecard.results[0];
      expect(check).toBeDefined();
      const requested = await call(
        replicas[2],
        token,
        '/api/compliance/exemptions',
        {
          method: 'POST',
          body: {
            entityRef: 'component:default/churn-model',
            checkId: check.checkId,
            justification:
              'The replica test needs an exemption that expires soon.',
            compensatingControl: 'Weekly manual review by the team',
            expiresAt: new Date(Date.now() + 5 * 86400_000).toISOString(),
          },
        },
      );
      const approver = await signIn(replicas[1], 'daniel.moreau');
      await call(
        replicas[1],
        approver,
        `/api/compliance/exemptions/${requested.id}/decision`,
        {
          method: 'POST',
          body: { status: 'approved', note: 'Approved for the replica test' },
        },
      );
      const expiry = () =>
        notifications('notification').where({
          topic: 'forge-compliance-exemption-expiry',
        });
      // Sent after a full evaluation, which waits for the demo history's replay on a fresh database: slow when the
      // machine is loaded (a full CI run), so the wait is generous; the cadence, not the wait, is what is tested.
      await until(
        'the expiry warning',
        async () => (await expiry()).length > 0,
        240_000,
      );
      // Two more full evaluations on whichever replicas claim them.
      await new Promise(r => setTimeout(r, 2 * CADENCE.evaluateAll + 2_000));
      const rows = await expiry();
      expectOncePerRecipient(rows, [
        'user:default/guest',
        'user:default/liam.chen',
        'user:default/sofia.rossi',
      ]);
    }, 400_000);

    it('ingests the inbox and the export URL once, and finishes an ingestion whose replica was killed on another', async () => {
      fs.writeFileSync(
        path.join(dir, 'inbox', 'retention.csv'),
        focusCsv(inboxCharges),
      );
      const slowStarted = exportServer.publishSlowly(
        focusCsv(urlCharges),
        20_000,
      );
      await until(
        'a replica reading the export URL',
        () => slowStarted.then(() => true),
        60_000,
      );
      // The replica reading the URL holds the lease of its running ingestion (owner: host:pid:random).
      const ingestions = () =>
        cost('cost_ingestions')
          .where({ location: exportServer.url })
          .orderBy('started_at');
      const victim = await until(
        'the running ingestion of the export URL',
        async () => {
          const running = (await ingestions()).find(
            r => r.status === 'running',
          );
          const pid = Number(String(running?.lease_owner).split(':')[1]);
          return replicas.find(r => r.pid === pid);
        },
        10_000,
      );
      await victim.kill();
      exportServer.serveFast();

      await until(
        'the export URL ingested by a surviving replica',
        async () => (await ingestions()).some(r => r.status === 'succeeded'),
        150_000,
      ).catch(e => {
        throw new Error(failing(String(e)));
      });
      // The killed replica's ingestion was given up, and another replica read the export again.
      const records = await ingestions();
      const owner = (r: { lease_owner: string }) =>
        Number(String(r.lease_owner).split(':')[1]);
      expect(
        records.filter(r => owner(r) === victim.pid).map(r => r.status),
      ).toEqual(['failed']);
      expect(
        records.filter(r => r.status === 'succeeded').map(owner),
      ).not.toContain(victim.pid);
      expect(ingestionOverlaps(records)).toEqual([]);

      // Nothing lost, nothing counted twice: month to date is exactly what the two exports say.
      const inbox = await cost('cost_ingestions').where(
        'location',
        'like',
        '%retention.csv',
      );
      expect(inbox.filter(r => r.status === 'succeeded')).toHaveLength(1);
      expect(ingestionOverlaps(inbox)).toEqual([]);
      for (const [entity, charges] of [
        ['component:default/churn-model', urlCharges],
        ['component:default/retention-dbt', inboxCharges],
      ] as const) {
        const answer = await expectAgreement(
          live(),
          token,
          `/api/cost-insights/budgets/${encodeURIComponent(entity)}`,
        );
        expect((answer as { monthToDate: number }).monthToDate).toBeCloseTo(
          total(charges),
          6,
        );
      }
    });

    it('sends each budget alert and regression notice once', async () => {
      const byScope = (scope: string) =>
        notifications('notification').where({ scope });
      const overBudget = `cost-budget:component:default/churn-model:${thisMonth()}`;
      const nearBudget = `cost-budget:component:default/retention-dbt:${thisMonth()}`;
      await until(
        'the budget alerts',
        async () =>
          (await byScope(overBudget)).length > 0 &&
          (await byScope(nearBudget)).length > 0,
        60_000,
      );
      // Several more alert runs, on whichever replicas claim them.
      await new Promise(r => setTimeout(r, 3 * CADENCE.alerts));
      const members = [
        'user:default/guest',
        'user:default/liam.chen',
        'user:default/sofia.rossi',
      ];
      for (const scope of [overBudget, nearBudget]) {
        const rows = await byScope(scope);
        expectOncePerRecipient(rows, members);
        // The notifications backend updates a notification of the same scope when it is sent again.
        expect(rows.filter(r => r.updated !== null)).toEqual([]);
      }
      const regressions = await notifications('notification')
        .where({
          topic: 'forge-compliance-regression',
        })
        .andWhere('title', 'like', '%churn-model%No secrets%');
      expectOncePerRecipient(regressions, members);
    });

    it('runs each scheduled job once per cycle across the replicas, including through the kill', async () => {
      const runs = readTaskRuns(path.join(dir, 'task-runs.jsonl'));
      const window = { from: readyAt, to: Date.now() };
      const killedAt = (name: string) =>
        replicas.find(r => r.name === name)?.killedAt;
      const problems = FORGE_TASKS.flatMap(t =>
        oncePerCycleProblems(runs, t, window, killedAt),
      );
      expect(problems).toEqual([]);
      // Each job really ran, more than once, during the test.
      const runsSinceReady = runs.filter(r => r.startedAt >= window.from);
      for (const t of FORGE_TASKS) {
        expect(
          runsSinceReady.filter(r => r.taskId === t.taskId).length,
        ).toBeGreaterThan(1);
      }
      // Every job of the Forge plugins and the notifications cleaner is claimed through the database (scope global) on each
      // replica, except those arbitrated per unit of work.
      for (const r of live()) {
        for (const plugin of [
          'compliance',
          'cost-insights',
          'notifications',
          'outcomes',
        ]) {
          const { tasks } = await call(
            r,
            token,
            `/api/${plugin}/.backstage/scheduler/v1/tasks`,
          );
          const perReplica = tasks.filter(
            (t: any) =>
              t.scope !== 'global' && !ARBITRATED_PER_SOURCE.has(t.taskId),
          );
          expect(perReplica.map((t: any) => t.taskId)).toEqual([]);
        }
      }
    });
  },
);

describeOnPostgres(
  `The replica check on a job every replica runs for itself (${
    postgres?.id ?? 'POSTGRES'
  })`,
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-double-run-'));
    const prefix = `forge_double_${randomBytes(4).toString('hex')}_`;
    let replicas: Replica[] = [];

    afterAll(async () => {
      await Promise.all(replicas.map(r => r.stop()));
      await dropDatabases(prefix);
      // FORGE_REPLICAS_KEEP=1 keeps the replicas' logs and task runs for a look after a failure.
      if (!process.env.FORGE_REPLICAS_KEEP)
        fs.rmSync(dir, { recursive: true, force: true });
    }, 180_000);

    it('reports the changed-entity evaluation registered with scope local as running twice per cycle', async () => {
      replicas = await startReplicas({
        ports: DOUBLE_RUN_PORTS,
        dir,
        config: replicaConfig({
          prefix,
          dir,
          exportUrl: `http://localhost:${EXPORT_PORT}/none.csv`,
          changeScheduleScope: 'local',
        }),
      });
      const from = Date.now();
      const log = path.join(dir, 'task-runs.jsonl');
      // Until each replica has finished four runs of its own (the first ones evaluate the whole catalog).
      await until(
        'four runs of the changed-entity evaluation on each replica',
        async () =>
          replicas.every(
            r =>
              readTaskRuns(log).filter(
                run =>
                  run.taskId === 'forge-compliance-evaluate-changed' &&
                  run.replica === r.name &&
                  run.startedAt >= from &&
                  run.endedAt !== undefined,
              ).length >= 4,
          ),
        180_000,
      );
      const runs = readTaskRuns(log);
      const window = { from, to: Date.now() };
      const changed = FORGE_TASKS.find(
        t => t.taskId === 'forge-compliance-evaluate-changed',
      )!;
      const others = FORGE_TASKS.filter(t => t !== changed);
      // Caught as more runs than cycles, or as runs in progress on two replicas at once, or both.
      expect(oncePerCycleProblems(runs, changed, window).join('\n')).toMatch(
        /forge-compliance-evaluate-changed: (\d+ runs in \d+ s \(\d+ on replica-\d, \d+ on replica-\d\)|a run on replica-\d started while the run on replica-\d)/,
      );
      // The same check passes the jobs that kept scope global in the same run.
      expect(
        others.flatMap(t => oncePerCycleProblems(runs, t, window)),
      ).toEqual([]);
    }, 400_000);
  },
);
