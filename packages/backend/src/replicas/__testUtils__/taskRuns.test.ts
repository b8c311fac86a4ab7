import { oncePerCycleProblems, TaskRun } from './taskRuns';

const run = (
  replica: string,
  startedAt: number,
  endedAt?: number,
): TaskRun => ({
  taskId: 'job',
  replica,
  run: `${replica}-${startedAt}`,
  startedAt,
  endedAt,
});
const window = { from: 0, to: 30_000 };
const job = { taskId: 'job', cadenceMs: 10_000 };

describe('oncePerCycleProblems', () => {
  it('accepts one run per cycle taken by whichever replica claimed it', () => {
    const runs = [
      run('a', 100, 900),
      run('b', 10_050, 10_700),
      run('a', 20_020, 20_500),
      run('c', 30_000, 30_400),
    ];
    expect(oncePerCycleProblems(runs, job, window)).toEqual([]);
  });

  it('reports a task that every replica runs for itself (scope local)', () => {
    const runs = [0, 10_000, 20_000].flatMap(t => [
      run('a', t + 5, t + 50),
      run('b', t + 300, t + 350),
    ]);
    expect(oncePerCycleProblems(runs, job, window)).toEqual([
      'job: 6 runs in 30 s (3 on a, 3 on b); once every 10 s allows at most 4',
    ]);
  });

  it('reports runs in progress at the same time, even when the count fits', () => {
    const runs = [run('a', 100, 5_000), run('b', 2_000, 2_500)];
    expect(oncePerCycleProblems(runs, job, window)).toEqual([
      'job: a run on b started while the run on a (started 1900 ms earlier) was still in progress',
    ]);
  });

  it('ends the run of a killed replica when it was killed', () => {
    const runs = [run('a', 100), run('b', 40_000 - 9_000, 31_500)];
    const killed = (r: string) => (r === 'a' ? 1_000 : undefined);
    expect(
      oncePerCycleProblems(runs, job, { from: 0, to: 40_000 }, killed),
    ).toEqual([]);
    expect(oncePerCycleProblems(runs, job, { from: 0, to: 40_000 })).toEqual([
      'job: a run on b started while the run on a (started 30900 ms earlier) was still in progress',
    ]);
  });

  it('allows runs triggered on purpose on top of the cycles', () => {
    const runs = [0, 1_000, 10_000, 20_000, 25_000].map(t =>
      run('a', t, t + 10),
    );
    expect(oncePerCycleProblems(runs, job, window)).toHaveLength(1);
    expect(
      oncePerCycleProblems(runs, { ...job, extraRuns: 1 }, window),
    ).toEqual([]);
  });
});
