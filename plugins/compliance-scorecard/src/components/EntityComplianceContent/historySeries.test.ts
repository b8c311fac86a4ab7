import { historyEntry } from '../../__testUtils__/fixtures';
import { historySeries } from './historySeries';

describe('historySeries', () => {
  it('replays the changes into counts per moment, whatever order they come in', () => {
    const entries = [
      historyEntry(4, 'b', 'exempt', '2026-11-10T00:00:00.000Z', 'fail'),
      historyEntry(3, 'a', 'fail', '2026-11-05T00:00:00.000Z', 'pass'),
      historyEntry(2, 'b', 'fail', '2026-11-01T00:00:00.000Z'),
      historyEntry(1, 'a', 'pass', '2026-11-01T00:00:00.000Z'),
      historyEntry(5, 'c', 'not_applicable', '2026-11-10T00:00:00.000Z'),
    ];
    expect(historySeries(entries)).toEqual([
      {
        time: Date.parse('2026-11-01T00:00:00.000Z'),
        pass: 1,
        fail: 1,
        exempt: 0,
        notApplicable: 0,
      },
      {
        time: Date.parse('2026-11-05T00:00:00.000Z'),
        pass: 0,
        fail: 2,
        exempt: 0,
        notApplicable: 0,
      },
      {
        time: Date.parse('2026-11-10T00:00:00.000Z'),
        pass: 0,
        fail: 1,
        exempt: 1,
        notApplicable: 1,
      },
    ]);
  });

  it('carries the last state to now, and counts errors as failing', () => {
    const now = new Date('2026-11-26T00:00:00.000Z');
    const series = historySeries(
      [historyEntry(1, 'a', 'error', '2026-11-01T00:00:00.000Z')],
      now,
    );
    expect(series).toHaveLength(2);
    expect(series[1]).toEqual({
      time: now.getTime(),
      pass: 0,
      fail: 1,
      exempt: 0,
      notApplicable: 0,
    });
    expect(historySeries([], now)).toEqual([]);
  });
});
