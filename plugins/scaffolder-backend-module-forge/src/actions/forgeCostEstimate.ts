import { AuditorService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import {
  CostEstimate,
  estimateMonthlyCost,
  formatMoney,
  limitsForGroup,
} from '../cost/estimateMonthlyCost';
import { GroupBudget, GroupBudgets } from '../cost/GroupBudgets';
import { auditedStep } from '../lib/audit';
import { groupRefSchema, parseActionInput, safeText } from '../lib/inputs';
import { BlueprintOwners } from '../owners';
import { BlueprintSettings } from '../settings';
import { examples } from './forgeCostEstimate.examples';

export const ACTION_ID = 'forge:cost:estimate';

const catalogKey = z
  .string()
  .max(60)
  .regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be a name from the price catalog, such as medium or nvidia-t4');

export const costEstimateInput = z.object({
  owner: groupRefSchema.describe('The group that owns and pays for the project (group:default/<name>).'),
  costCenter: z
    .string()
    .regex(/^CC-\d{4}$/, 'costCenter must look like CC-4111')
    .optional()
    .describe(
      "Finance cost center; defaults to the owning group's forge.io/cost-center. Another one must be the cost center " +
        'of a team the person may own projects for (platform admins: any).',
    ),
  compute: z
    .array(
      z.object({
        name: safeText('compute.name', 40).pipe(z.string().min(1)),
        profile: catalogKey,
        replicas: z.coerce.number().int().min(1).max(50).default(1),
        // Capped at the hours in a month when estimating (an hourly job running 90 minutes is busy all month).
        hoursPerMonth: z.coerce.number().min(0.25).max(100_000).optional(),
        gpuType: catalogKey.optional(),
        gpuCount: z.coerce.number().int().min(0).max(8).default(0),
      }),
    )
    .max(10, 'at most 10 workloads per project')
    .default([]),
  storage: z
    .array(
      z.object({
        class: catalogKey,
        sizeGi: z.coerce.number().int().min(1).max(100_000),
      }),
    )
    .max(10)
    .default([]),
  services: z.array(catalogKey).max(10).default([]),
});

export type CostEstimateInput = z.input<typeof costEstimateInput>;

/** What the estimate means for the group: its budget, the limits that apply and what they require. */
export interface CostDecision extends CostEstimate {
  owner: string;
  budget: {
    monthlyBudget: number | null;
    monthToDate: number | null;
    /** Budget minus month-to-date minus this estimate; null when either figure is unknown. */
    remainingAfterEstimate: number | null;
    source: GroupBudget['source'];
  };
  limits: { approvalThreshold: number; hardLimit: number };
  approvalRequired: boolean;
  overBudget: boolean;
  summary: string;
}

export function decideCost(
  owner: string,
  estimate: CostEstimate,
  groupBudget: GroupBudget,
  limits: { approvalThreshold: number; hardLimit: number },
): CostDecision {
  const money = (v: number) => formatMoney(v, estimate.currency);
  // A budget in another currency cannot be compared with the estimate; say so rather than compare wrongly.
  const budget: GroupBudget =
    groupBudget.currency && groupBudget.currency !== estimate.currency
      ? { ...groupBudget, monthlyBudget: undefined, monthToDate: undefined }
      : groupBudget;
  const remaining =
    budget.monthlyBudget === undefined
      ? null
      : Math.round(
          (budget.monthlyBudget - (budget.monthToDate ?? 0) - estimate.monthlyTotal) * 100,
        ) / 100;
  const overBudget = remaining !== null && remaining < 0;
  const approvalRequired = estimate.monthlyTotal > limits.approvalThreshold;
  const lines = [
    `Estimated ${money(estimate.monthlyTotal)} a month for ${owner}.`,
    budget.monthlyBudget === undefined
      ? 'The group has no monthly budget (forge.io/monthly-budget).'
      : `Group budget ${money(budget.monthlyBudget)} a month; ${
          budget.monthToDate === undefined
            ? 'month-to-date spend unknown'
            : `${money(budget.monthToDate)} spent this month`
        }.`,
  ];
  if (overBudget) {
    lines.push(`This project would take the group ${money(-remaining!)} over its budget.`);
  }
  if (approvalRequired) {
    lines.push(
      `Above the group's approval threshold of ${money(limits.approvalThreshold)}: the compliance gate asks for an approval.`,
    );
  }
  return {
    ...estimate,
    owner,
    budget: {
      monthlyBudget: budget.monthlyBudget ?? null,
      monthToDate: budget.monthToDate ?? null,
      remainingAfterEstimate: budget.monthToDate === undefined ? null : remaining,
      source: budget.source,
    },
    limits,
    approvalRequired,
    overBudget,
    summary: lines.join(' '),
  };
}

/**
 * `forge:cost:estimate`: the monthly cost of what a blueprint is about to request, line by line from the price
 * catalog in config, against the owning group's budget and month-to-date spend. Above the group's hard limit the
 * task stops here; above its approval threshold the compliance gate asks for an approval. A cost center given as
 * input is refused unless the person may charge it (BlueprintOwners.assertMayCharge), before anything is estimated.
 */
export function createForgeCostEstimateAction(options: {
  settings: BlueprintSettings;
  budgets: GroupBudgets;
  auditor: AuditorService;
  owners?: BlueprintOwners;
}) {
  const { settings, budgets, auditor, owners } = options;
  return createTemplateAction({
    id: ACTION_ID,
    description:
      'Estimates the monthly cost of a project from the Forge price catalog and compares it with the owning group\'s budget and limits.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => costEstimateInput,
      output: {
        monthlyTotal: zod => zod.number({ description: 'Estimated monthly cost in the billing currency' }),
        currency: zod => zod.string(),
        annotation: zod => zod.string({ description: 'Value for the forge.io/cost-estimate annotation' }),
        lines: zod => zod.array(zod.record(zod.unknown())),
        budget: zod => zod.record(zod.unknown()),
        limits: zod => zod.record(zod.unknown()),
        approvalRequired: zod => zod.boolean(),
        overBudget: zod => zod.boolean(),
        summary: zod => zod.string(),
        costCenter: zod => zod.string({ description: 'The cost center charged (input, or the group\'s)' }),
        suggestedMonthlyBudget: zod =>
          zod.number({ description: 'A monthly budget for the project: the estimate plus 20%, rounded up' }),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(ACTION_ID, costEstimateInput, ctx.input);
      if (input.costCenter) await owners?.assertMayChargeInStep(input.costCenter, input.owner, ctx, ACTION_ID);
      const pricing = settings.pricing;
      if (!pricing) {
        throw new InputError(
          `${ACTION_ID}: no price catalog is configured; add forge.blueprints.pricing to app-config.yaml`,
        );
      }
      const decision = await auditedStep(
        auditor,
        ctx,
        {
          eventId: 'blueprint-cost-estimate',
          severityLevel: 'low',
          meta: { owner: input.owner },
          describe: d => ({
            monthlyTotal: d.monthlyTotal,
            currency: d.currency,
            approvalRequired: d.approvalRequired,
          }),
        },
        async () => {
          const estimate = estimateMonthlyCost(
            {
              compute: input.compute.map(c => ({
                name: c.name,
                profile: c.profile,
                replicas: c.replicas,
                hoursPerMonth: c.hoursPerMonth,
                gpu:
                  c.gpuType && c.gpuCount > 0
                    ? { type: c.gpuType, count: c.gpuCount }
                    : undefined,
              })),
              storage: input.storage,
              services: input.services,
            },
            pricing,
          );
          const budget = await budgets.getBudget(
            input.owner,
            await ctx.getInitiatorCredentials(),
          );
          const costCenter = input.costCenter ?? budget.costCenter;
          if (!costCenter || !/^CC-\d{4}$/.test(costCenter)) {
            throw new InputError(
              // What is missing, and who can fix it: the person (a cost center for this project) or an admin (the team's).
              `${ACTION_ID}: ${input.owner} has no cost center to charge (the forge.io/cost-center annotation of the ` +
                'group in the catalog). Enter the cost center for this project under Advanced (Cost center, CC-nnnn), ' +
                "or ask a platform admin to add the team's cost center to the group.",
            );
          }
          const limits = limitsForGroup(pricing, input.owner);
          const result = decideCost(input.owner, estimate, budget, limits);
          if (estimate.monthlyTotal > limits.hardLimit) {
            throw new InputError(
              `${ACTION_ID}: the estimated ${formatMoney(estimate.monthlyTotal, estimate.currency)} a month is above the hard limit of ${formatMoney(
                limits.hardLimit,
                estimate.currency,
              )} for ${input.owner}. Choose a smaller profile, fewer GPUs or replicas, or fewer hours; ` +
                'platform admins set the limits in forge.blueprints.pricing.limits.',
            );
          }
          return { ...result, costCenter };
        },
      );
      ctx.logger.info(decision.summary);
      for (const line of decision.lines) {
        ctx.logger.info(
          `  ${line.item}: ${line.description} = ${formatMoney(line.monthly, decision.currency)}`,
        );
      }
      ctx.output('monthlyTotal', decision.monthlyTotal);
      ctx.output('currency', decision.currency);
      ctx.output('annotation', decision.monthlyTotal.toFixed(2));
      ctx.output('lines', decision.lines as any);
      ctx.output('budget', decision.budget as any);
      ctx.output('limits', decision.limits as any);
      ctx.output('approvalRequired', decision.approvalRequired);
      ctx.output('overBudget', decision.overBudget);
      ctx.output('summary', decision.summary);
      ctx.output('costCenter', decision.costCenter);
      ctx.output('suggestedMonthlyBudget', Math.max(1, Math.ceil(decision.monthlyTotal * 1.2)));
    },
  });
}
