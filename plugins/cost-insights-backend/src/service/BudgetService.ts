import { InputError, NotFoundError } from '@backstage/errors';
import {
  Budget,
  BudgetStatus,
  CostForecast,
} from '@internal/plugin-cost-insights-common';
import { z } from 'zod';
import { CostStore } from '../database/CostStore';
import { CostQueryService } from './CostQueryService';
import { CostScope, resolveScope } from './CostScope';

/** A budget as a permitted user sets it. */
export const budgetInputSchema = z.object({
  monthlyAmount: z
    .number({ error: 'monthlyAmount must be a number' })
    .positive('monthlyAmount must be more than 0')
    .max(1e12, 'monthlyAmount is implausibly large'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as USD')
    .optional(),
});

export type BudgetInput = z.infer<typeof budgetInputSchema>;

/**
 * Monthly budgets: kept as code in the catalog (`forge.io/monthly-budget` on groups and components) or set in
 * Forge by a permitted user, which takes precedence until it is removed. A budget's status compares it with the
 * month to date and the forecast month end.
 */
export class BudgetService {
  constructor(
    private readonly options: { store: CostStore; query: CostQueryService },
  ) {}

  /** Every budget in force, by entity ref. */
  async budgets(): Promise<Map<string, Budget>> {
    const snapshot = await this.options.query.snapshot();
    const result = new Map<string, Budget>();
    for (const b of snapshot.catalogBudgets().budgets) {
      result.set(b.entityRef, {
        entityRef: b.entityRef,
        monthlyAmount: b.monthlyAmount,
        currency: this.options.query.currency,
        source: 'catalog',
      });
    }
    for (const b of await this.options.store.listBudgets()) {
      result.set(b.entityRef, b);
    }
    return result;
  }

  async budgetOf(ref: string): Promise<Budget | undefined> {
    return (await this.budgets()).get(ref);
  }

  /** The budget of a scope against its month so far and its forecast. */
  async status(
    scope: CostScope,
    forecast?: CostForecast,
  ): Promise<BudgetStatus | undefined> {
    if (!scope.ref) return undefined;
    const budget = await this.budgetOf(scope.ref);
    if (!budget) return undefined;
    return this.statusOf(
      budget,
      forecast ?? (await this.options.query.forecast(scope)),
      scope.name,
    );
  }

  statusOf(
    budget: Budget,
    forecast: CostForecast,
    name?: string,
  ): BudgetStatus {
    const daysElapsed = Number(forecast.asOf.slice(8, 10));
    return {
      ...budget,
      ...(name ? { name } : {}),
      month: forecast.month,
      monthToDate: forecast.monthToDate,
      burnRatePerDay: forecast.monthToDate / daysElapsed,
      forecastMonthEnd: forecast.monthEnd,
      usedRatio: forecast.monthToDate / budget.monthlyAmount,
      forecastRatio: forecast.monthEnd.amount / budget.monthlyAmount,
    };
  }

  /** The status of every budget whose owner is in the catalog. */
  async allStatuses(): Promise<
    Array<{ scope: CostScope; status: BudgetStatus; forecast: CostForecast }>
  > {
    const snapshot = await this.options.query.snapshot();
    const asOf = await this.options.query.lastCompleteBillingDate();
    const result: Array<{
      scope: CostScope;
      status: BudgetStatus;
      forecast: CostForecast;
    }> = [];
    for (const budget of (await this.budgets()).values()) {
      if (!snapshot.get(budget.entityRef)) continue;
      const scope = resolveScope(snapshot, budget.entityRef);
      const forecast = await this.options.query.forecast(scope, { asOf });
      result.push({
        scope,
        status: this.statusOf(budget, forecast, scope.name),
        forecast,
      });
    }
    return result.sort(
      (a, b) => b.status.forecastRatio - a.status.forecastRatio,
    );
  }

  /** Sets a budget in Forge for a group or entity of the catalog. */
  async setBudget(
    rawRef: string,
    input: unknown,
    updatedBy: string,
  ): Promise<Budget> {
    const parsed = budgetInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new InputError(
        `Invalid budget: ${parsed.error.issues.map(i => i.message).join('; ')}`,
      );
    }
    const currency = parsed.data.currency ?? this.options.query.currency;
    if (currency !== this.options.query.currency) {
      throw new InputError(
        `Budgets are kept in the billing currency ${this.options.query.currency}, not ${currency}`,
      );
    }
    const scope = resolveScope(await this.options.query.snapshot(), rawRef);
    return this.options.store.setBudget({
      entityRef: scope.ref!,
      monthlyAmount: parsed.data.monthlyAmount,
      currency,
      updatedBy,
    });
  }

  /** Removes a budget set in Forge (the catalog's, if any, applies again). */
  async deleteBudget(rawRef: string): Promise<void> {
    const scope = resolveScope(await this.options.query.snapshot(), rawRef);
    if (!(await this.options.store.deleteBudget(scope.ref!))) {
      throw new NotFoundError(
        `No budget set in Forge for ${scope.ref}; budgets from the catalog are changed in the entity's forge.io/monthly-budget annotation`,
      );
    }
  }
}
