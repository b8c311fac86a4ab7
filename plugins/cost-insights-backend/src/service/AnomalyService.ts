import { addDays, CostAnomaly } from '@internal/plugin-cost-insights-common';
import { AnomalySettings, detectSpikes } from './anomalies';
import { CostQueryService } from './CostQueryService';
import { CostScope } from './CostScope';
import { fillDays } from './stats';

/** Spikes per entity and service within a scope, each judged against its own trailing baseline. */
export class AnomalyService {
  constructor(
    private readonly options: {
      query: CostQueryService;
      settings: AnomalySettings;
    },
  ) {}

  /** Anomalies on the last `days` days up to the last complete billing day, newest and largest first. */
  async anomalies(
    scope: CostScope,
    options: { days?: number; asOf?: string } = {},
  ): Promise<CostAnomaly[]> {
    const { query, settings } = this.options;
    const asOf = options.asOf ?? (await query.lastCompleteBillingDate());
    const endExclusive = addDays(asOf, 1);
    const checkFrom = addDays(endExclusive, -(options.days ?? 30));
    const seriesStart = addDays(checkFrom, -settings.baselineDays);
    const rows = await query.aggregate(scope, seriesStart, endExclusive, [
      'day',
      'entityRef',
      'serviceName',
    ]);
    const series = new Map<string, Map<string, number>>();
    for (const row of rows) {
      const key = `${row.entityRef}\u0001${row.serviceName}`;
      let days = series.get(key);
      if (!days) series.set(key, (days = new Map()));
      days.set(row.day!, (days.get(row.day!) ?? 0) + query.amountOf(row));
    }
    const anomalies: CostAnomaly[] = [];
    for (const [key, days] of series) {
      const [entityRef, service] = key.split('\u0001');
      const daily = fillDays(days, seriesStart, endExclusive);
      for (const spike of detectSpikes(daily, checkFrom, settings)) {
        anomalies.push({
          entityRef: entityRef === '' ? null : entityRef,
          service,
          currency: query.currency,
          ...spike,
        });
      }
    }
    return anomalies.sort(
      (a, b) => b.day.localeCompare(a.day) || b.excess - a.excess,
    );
  }
}
