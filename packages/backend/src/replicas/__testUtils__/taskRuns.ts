import fs from 'node:fs';

/** One run of a scheduled task on one replica, as taskRunRecorder.cjs wrote it. */
export type TaskRun = {
  taskId: string;
  replica: string;
  run: string;
  startedAt: number;
  /** Missing while the run is in progress, or forever when its replica was killed during it. */
  endedAt?: number;
  scope?: string;
  failed?: boolean;
};

/** Reads the run log the replicas append to: one start line and (unless interrupted) one end line per run. */
export function readTaskRuns(file: string): TaskRun[] {
  if (!fs.existsSync(file)) return [];
  const runs = new Map<string, TaskRun>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    const key = `${e.replica}/${e.run}`;
    if (e.event === 'start') {
      runs.set(key, {
        taskId: e.taskId,
        replica: e.replica,
        run: e.run,
        startedAt: e.at,
      });
    } else {
      const run = runs.get(key);
      if (run)
        Object.assign(run, { endedAt: e.at, scope: e.scope, failed: e.failed });
    }
  }
  return [...runs.values()].sort((a, b) => a.startedAt - b.startedAt);
}

export type CycleExpectation = {
  taskId: string;
  /** The task's configured frequency. */
  cadenceMs: number;
  /** Runs on top of one per cycle that are legitimate, e.g. runs triggered on purpose (scheduler.triggerTask). */
  extraRuns?: number;
};

/**
 * What contradicts "this task runs once per cycle, on one replica at a time" in the runs that started within
 * [from, to]:
 * - two runs in progress at the same time (a run of a killed replica ends when it was killed), and
 * - more starts than cycles: a task claimed through the database starts at most once per cadence (Backstage
 *   computes the next start from the previous one), so `floor(window / cadence) + 1` runs at most, plus the
 *   expectation's extra runs. A task every replica runs for itself starts once per cycle per replica.
 * Returns the problems in words; empty when there is none.
 */
export function oncePerCycleProblems(
  runs: TaskRun[],
  expectation: CycleExpectation,
  window: { from: number; to: number },
  killedAt: (replica: string) => number | undefined = () => undefined,
): string[] {
  const { taskId, cadenceMs, extraRuns = 0 } = expectation;
  const mine = runs
    .filter(r => r.taskId === taskId)
    .filter(r => r.startedAt >= window.from && r.startedAt <= window.to)
    .sort((a, b) => a.startedAt - b.startedAt);
  const problems: string[] = [];
  const endOf = (r: TaskRun) =>
    r.endedAt ?? killedAt(r.replica) ?? Number.POSITIVE_INFINITY;
  let latest: TaskRun | undefined;
  for (const run of mine) {
    if (latest && run.startedAt < endOf(latest)) {
      problems.push(
        `${taskId}: a run on ${run.replica} started while the run on ${
          latest.replica
        } (started ${
          run.startedAt - latest.startedAt
        } ms earlier) was still in progress`,
      );
    }
    if (!latest || endOf(run) > endOf(latest)) latest = run;
  }
  const allowed =
    Math.floor((window.to - window.from) / cadenceMs) + 1 + extraRuns;
  if (mine.length > allowed) {
    const perReplica = new Map<string, number>();
    for (const r of mine)
      perReplica.set(r.replica, (perReplica.get(r.replica) ?? 0) + 1);
    problems.push(
      `${taskId}: ${mine.length} runs in ${Math.round(
        (window.to - window.from) / 1000,
      )} s (${[...perReplica]
        .map(([r, n]) => `${n} on ${r}`)
        .join(', ')}); once every ${
        cadenceMs / 1000
      } s allows at most ${allowed}`,
    );
  }
  return problems;
}
