import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { ForgeGuard, MAX_ENTITY_REF_LENGTH } from '@internal/plugin-forge-node';
import {
  outcomesOrgReadPermission,
  outcomesReadPermission,
} from '@internal/plugin-outcomes-common';
import { OutcomesAccess } from './router';
import { OutcomesService } from './service/OutcomesService';

/**
 * The platform's outcomes for an assistant (Backstage actions registry, and so MCP): the same figures, definitions
 * and sources as the page and GET /report, under the same rules of who sees what.
 */
export function registerOutcomesActions(deps: {
  actionsRegistry: ActionsRegistryService;
  guard: ForgeGuard;
  access: OutcomesAccess;
  service: OutcomesService;
}) {
  const { actionsRegistry, guard, access, service } = deps;
  actionsRegistry.register({
    name: 'get-platform-outcomes',
    title: 'Platform outcomes of Forge',
    description:
      'Returns how Forge is doing for the organisation or a team: time from blueprint to ready project and ' +
      'requested environment (median, p90), share of self-service projects, adoption by teams, projects per ' +
      'blueprint, violations and exemptions, time to produce audit evidence and control coverage, spend against ' +
      'budget and last month’s forecast accuracy, and NPS. Each figure comes with its target, definition and source.',
    attributes: { readOnly: true, idempotent: true, destructive: false },
    visibilityPermission: outcomesReadPermission,
    schema: {
      input: z =>
        z
          .object({
            scope: z
              .string()
              .max(MAX_ENTITY_REF_LENGTH)
              .regex(/^(org|group:[^/\s]+\/[^/\s]+)$/)
              .optional()
              .describe(
                "'org' for the organisation, or a team's group ref such as group:default/retention-analytics; " +
                  'default: the organisation if the caller may see it, else their first team',
              ),
          })
          // Whole to the guard, which refuses and audits a field naming who acts (the registry would drop it).
          .passthrough(),
      output: z =>
        z.object({
          scope: z.string(),
          scopeTitle: z.string(),
          generatedAt: z.string(),
          figures: z.array(
            z.object({
              id: z.string(),
              title: z.string(),
              value: z.number().nullable(),
              unit: z.string(),
              display: z.string(),
              target: z.string().optional(),
              met: z.boolean().optional(),
              definition: z.string(),
              source: z.string(),
            }),
          ),
        }),
    },
    examples: [
      { title: 'The organisation', input: { scope: 'org' } },
      {
        title: 'Retention Analytics',
        input: { scope: 'group:default/retention-analytics' },
      },
    ],
    action: async ({ input, credentials }) => {
      const entry = { credentials, action: 'get-platform-outcomes', input };
      const caller = await guard.authorize(entry, outcomesReadPermission);
      const visible = await access.scopesOf(caller);
      const scope = input.scope ?? visible[0]?.scope ?? 'org';
      if (!visible.some(s => s.scope === scope)) {
        await guard.authorize(entry, outcomesOrgReadPermission);
      }
      const report = await service.report(scope, visible);
      return {
        output: {
          scope: report.scope,
          scopeTitle: report.scopeTitle,
          generatedAt: report.generatedAt,
          figures: report.figures.map(f => ({
            id: f.id,
            title: f.title,
            value: f.value,
            unit: f.unit,
            display: f.display,
            target: f.target?.display,
            met: f.met,
            definition: f.definition,
            source: f.source,
          })),
        },
      };
    },
  });
}
