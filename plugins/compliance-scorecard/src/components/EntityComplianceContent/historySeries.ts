import type { HistoryEntry } from '@internal/plugin-compliance-common';

/** How many checks were in each state after one moment of the history. */
export interface HistoryPoint {
  /** Milliseconds since the epoch. */
  time: number;
  pass: number;
  fail: number;
  exempt: number;
  notApplicable: number;
}

/**
 * Replays the changes-only history (any order) into the number of checks in each state after every moment that
 * changed something, oldest first. `now`, when given, repeats the last state at that time so a chart reaches
 * the present.
 */
export function historySeries(
  entries: HistoryEntry[],
  now?: Date,
): HistoryPoint[] {
  const ordered = [...entries].sort((a, b) => a.seq - b.seq);
  const state = new Map<string, string>();
  const points: HistoryPoint[] = [];
  const count = (time: number): HistoryPoint => {
    const point = { time, pass: 0, fail: 0, exempt: 0, notApplicable: 0 };
    for (const status of state.values()) {
      if (status === 'pass') point.pass += 1;
      else if (status === 'fail' || status === 'error') point.fail += 1;
      else if (status === 'exempt') point.exempt += 1;
      else if (status === 'not_applicable') point.notApplicable += 1;
    }
    return point;
  };
  for (let i = 0; i < ordered.length; i++) {
    const entry = ordered[i];
    state.set(entry.checkId, entry.status);
    const next = ordered[i + 1];
    if (!next || next.recordedAt !== entry.recordedAt) {
      points.push(count(Date.parse(entry.recordedAt)));
    }
  }
  if (
    now &&
    points.length > 0 &&
    now.getTime() > points[points.length - 1].time
  ) {
    points.push({ ...points[points.length - 1], time: now.getTime() });
  }
  return points;
}
