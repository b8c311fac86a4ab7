import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { NotificationPayload } from '@backstage/plugin-notifications-common';
import {
  BudgetStatus,
  CostAnomaly,
} from '@internal/plugin-cost-insights-common';
import { CostStore } from '../database/CostStore';
import { AnomalyService } from './AnomalyService';
import { BudgetService } from './BudgetService';
import { CostQueryService, UNATTRIBUTED_NAME } from './CostQueryService';
import { ORGANIZATION_SCOPE } from './CostScope';
import { entityLink } from './links';
import { money } from './money';

export type CostAlertSettings = {
  budgetThresholds: number[];
  forecastOverBudget: boolean;
};

/**
 * Sends cost alerts to the owning group through Backstage notifications: budget thresholds and a forecast over
 * budget (each once per budget, threshold and month), and cost spikes (once per entity, service and day). An
 * alert is claimed in the store before it is sent, so replicas and reruns never send it twice; a failed send
 * gives the claim back to be tried on the next run.
 */
export class CostAlertService {
  constructor(
    private readonly options: {
      store: CostStore;
      query: CostQueryService;
      budgets: BudgetService;
      anomalies: AnomalyService;
      notifications: NotificationService;
      logger: LoggerService;
      settings: CostAlertSettings;
    },
  ) {}

  /** Checks budgets and recent anomalies; returns how many notifications went out. */
  async run(): Promise<number> {
    let sent = 0;
    for (const { status } of await this.options.budgets.allStatuses()) {
      sent += await this.budgetAlerts(status);
    }
    // A week back, so a late export's spikes are still announced (each only once).
    const anomalies = await this.options.anomalies.anomalies(
      ORGANIZATION_SCOPE,
      {
        days: 7,
      },
    );
    for (const anomaly of anomalies) {
      if (await this.anomalyAlert(anomaly)) sent += 1;
    }
    return sent;
  }

  private async budgetAlerts(status: BudgetStatus): Promise<number> {
    const { settings, query } = this.options;
    const snapshot = await query.snapshot();
    const recipient = snapshot.owningGroup(status.entityRef);
    if (!recipient) return 0;
    const name = snapshot.displayName(status.entityRef);
    const amounts = `month to date ${money(
      status.monthToDate,
      status.currency,
    )} of ${money(
      status.monthlyAmount,
      status.currency,
    )}, forecast month end ${money(
      status.forecastMonthEnd.amount,
      status.currency,
    )}`;
    let sent = 0;

    // Every threshold passed is claimed; only the highest newly passed one is announced.
    const passed = settings.budgetThresholds
      .filter(t => status.usedRatio >= t)
      .sort((a, b) => a - b);
    let highest: number | undefined;
    for (const threshold of passed) {
      const claimed = await this.options.store.claimAlert({
        key: `budget:${status.entityRef}:${status.month}:used:${threshold}`,
        entityRef: status.entityRef,
        kind: 'budget',
      });
      if (claimed) highest = threshold;
    }
    if (highest !== undefined) {
      const delivered = await this.deliver(
        `budget:${status.entityRef}:${status.month}:used:${highest}`,
        recipient,
        {
          title: `${name} has used ${Math.round(
            100 * status.usedRatio,
          )}% of its ${status.month} budget`,
          description: `Crossed ${Math.round(100 * highest)}%: ${amounts}.`,
          link: entityLink(status.entityRef),
          severity: highest >= 1 ? 'high' : 'normal',
          topic: 'cost-budget',
          scope: `cost-budget:${status.entityRef}:${status.month}`,
        },
      );
      if (delivered) sent += 1;
    }

    if (settings.forecastOverBudget && status.forecastRatio > 1) {
      const key = `budget:${status.entityRef}:${status.month}:forecast`;
      const claimed = await this.options.store.claimAlert({
        key,
        entityRef: status.entityRef,
        kind: 'budget-forecast',
      });
      if (
        claimed &&
        (await this.deliver(key, recipient, {
          title: `${name} is forecast to exceed its ${status.month} budget`,
          description: `Forecast ${Math.round(
            100 * status.forecastRatio,
          )}% of budget: ${amounts}.`,
          link: entityLink(status.entityRef),
          severity: 'high',
          topic: 'cost-budget',
          scope: `cost-budget-forecast:${status.entityRef}:${status.month}`,
        }))
      ) {
        sent += 1;
      }
    }
    return sent;
  }

  private async anomalyAlert(anomaly: CostAnomaly): Promise<boolean> {
    if (!anomaly.entityRef) return false; // unattributed spend has no owner to tell
    const snapshot = await this.options.query.snapshot();
    const recipient = snapshot.owningGroup(anomaly.entityRef);
    if (!recipient) return false;
    const key = `anomaly:${anomaly.entityRef}:${anomaly.service}:${anomaly.day}`;
    const claimed = await this.options.store.claimAlert({
      key,
      entityRef: anomaly.entityRef,
      kind: 'anomaly',
    });
    if (!claimed) return false;
    const name = snapshot.displayName(anomaly.entityRef) || UNATTRIBUTED_NAME;
    return this.deliver(key, recipient, {
      title: `Cost spike in ${name}: ${anomaly.service}`,
      description: `${money(anomaly.amount, anomaly.currency)} on ${
        anomaly.day
      }, ${Math.round(
        anomaly.amount / Math.max(anomaly.baseline, 1e-9),
      )}x its usual ${money(anomaly.baseline, anomaly.currency)} per day.`,
      link: entityLink(anomaly.entityRef),
      severity: 'high',
      topic: 'cost-anomaly',
      scope: key,
    });
  }

  private async deliver(
    key: string,
    groupRef: string,
    payload: NotificationPayload,
  ): Promise<boolean> {
    try {
      await this.options.notifications.send({
        recipients: { type: 'entity', entityRef: groupRef },
        payload,
      });
      return true;
    } catch (error) {
      await this.options.store.releaseAlert(key);
      this.options.logger.warn(
        `Could not send the cost alert ${key} to ${groupRef}; it will be retried`,
        error as Error,
      );
      return false;
    }
  }
}
