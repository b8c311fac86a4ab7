import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { costReadPermission } from '@internal/plugin-cost-insights-common';
import { ForgeGuard, MAX_ENTITY_REF_LENGTH } from '@internal/plugin-forge-node';
import { BudgetService } from '../service/BudgetService';
import { CostQueryService } from '../service/CostQueryService';
import { resolveGroupScope } from '../service/CostScope';
import { CostViewService } from '../service/CostViewService';

type Dependencies = {
  actionsRegistry: ActionsRegistryService;
  /** The shared guard of every Forge entry point (the cost router's, through CostRouteGuard). */
  guard: ForgeGuard;
  query: CostQueryService;
  views: CostViewService;
  budgets: BudgetService;
};

/**
 * Cost questions an assistant can ask through the Backstage actions registry (and so over MCP): a group's
 * month to date and forecast, and the top cost drivers of an entity.
 */
export function registerCostActions(deps: Dependencies) {
  const { actionsRegistry, guard, query, views, budgets } = deps;

  actionsRegistry.register({
    name: 'get-group-cost-forecast',
    title: 'Group cost: month to date and forecast',
    description:
      "Returns a catalog group's cost this month so far (its entities and sub-groups rolled up), the forecast for " +
      'the month end and the next 30 days with an 80% interval, and its monthly budget if it has one.',
    attributes: { readOnly: true, idempotent: true, destructive: false },
    visibilityPermission: costReadPermission,
    schema: {
      input: z =>
        z
          .object({
            group: z
              .string()
              .min(1)
              .max(MAX_ENTITY_REF_LENGTH)
              .describe(
                'Group entity ref, e.g. group:default/pricing-science, or just its name',
              ),
          })
          // Whole to the guard, which refuses and audits a field naming who acts (the registry would drop it).
          .passthrough(),
      output: z =>
        z.object({
          groupRef: z.string(),
          currency: z.string(),
          asOf: z.string().describe('Last complete billing day'),
          month: z.string(),
          monthToDate: z.number(),
          forecastMonthEnd: z.object({
            amount: z.number(),
            lower: z.number(),
            upper: z.number(),
          }),
          forecastNext30Days: z.object({
            amount: z.number(),
            lower: z.number(),
            upper: z.number(),
          }),
          method: z.string(),
          budget: z
            .object({
              monthlyAmount: z.number(),
              usedRatio: z.number(),
              forecastRatio: z.number(),
              source: z.enum(['catalog', 'forge']),
            })
            .optional(),
        }),
    },
    examples: [
      {
        title: 'Pricing Science this month',
        input: { group: 'group:default/pricing-science' },
      },
    ],
    action: async ({ input, credentials }) => {
      await guard.authorize(
        { credentials, action: 'get-group-cost-forecast', input },
        costReadPermission,
      );
      const scope = resolveGroupScope(await query.snapshot(), input.group);
      const forecast = await query.forecast(scope);
      const budget = await budgets.status(scope, forecast);
      return {
        output: {
          groupRef: scope.ref!,
          currency: forecast.currency,
          asOf: forecast.asOf,
          month: forecast.month,
          monthToDate: forecast.monthToDate,
          forecastMonthEnd: forecast.monthEnd,
          forecastNext30Days: forecast.next30Days,
          method: forecast.method,
          ...(budget
            ? {
                budget: {
                  monthlyAmount: budget.monthlyAmount,
                  usedRatio: budget.usedRatio,
                  forecastRatio: budget.forecastRatio,
                  source: budget.source,
                },
              }
            : {}),
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'get-entity-top-cost-drivers',
    title: 'Top cost drivers of an entity',
    description:
      'Returns the services that cost a catalog entity (or a group, rolled up) the most over the last days, ' +
      'each with its cost in the same number of days before and the change.',
    attributes: { readOnly: true, idempotent: true, destructive: false },
    visibilityPermission: costReadPermission,
    schema: {
      input: z =>
        z
          .object({
            entityRef: z
              .string()
              .min(1)
              .max(MAX_ENTITY_REF_LENGTH)
              .describe('Entity ref, e.g. component:default/churn-model'),
            days: z
              .number()
              .int()
              .min(1)
              .max(366)
              .default(30)
              .describe('How many days up to the last complete billing day'),
          })
          .passthrough(),
      output: z =>
        z.object({
          entityRef: z.string(),
          currency: z.string(),
          days: z.number(),
          drivers: z.array(
            z.object({
              service: z.string(),
              amount: z.number(),
              previousAmount: z.number(),
              changeAmount: z.number(),
              changeRatio: z.number().optional(),
            }),
          ),
        }),
    },
    examples: [
      {
        title: 'What costs the churn model',
        input: { entityRef: 'component:default/churn-model', days: 30 },
      },
    ],
    action: async ({ input, credentials }) => {
      await guard.authorize(
        { credentials, action: 'get-entity-top-cost-drivers', input },
        costReadPermission,
      );
      const scope = await query.scopeOf(input.entityRef);
      const drivers = await views.topDrivers(scope.ref!, input.days);
      return {
        output: {
          entityRef: scope.ref!,
          currency: query.currency,
          days: input.days,
          drivers: drivers.map(d => ({
            service: d.key,
            amount: d.amount,
            previousAmount: d.previousAmount,
            changeAmount: d.change.amount,
            ...(d.change.ratio !== undefined
              ? { changeRatio: d.change.ratio }
              : {}),
          })),
        },
      };
    },
  });
}
