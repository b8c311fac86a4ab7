import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  complianceExemptionRequestPermission,
  complianceScorecardReadPermission,
} from '@internal/plugin-compliance-common';
import {
  ForgeGuard,
  MAX_ENTITY_REF_LENGTH,
  normalizeEntityRef,
} from '@internal/plugin-forge-node';
import { ComplianceService } from './service/ComplianceService';
import { DashboardService } from './service/DashboardService';
import {
  describeExemption,
  EXEMPTION_LIMITS,
  exemptionEntityRef,
  ExemptionService,
} from './service/ExemptionService';

// Every input below is bounded as the REST routes bound the same fields (EXEMPTION_LIMITS, MAX_ENTITY_REF_LENGTH),
// and passed through whole (`passthrough`) to the guard, which refuses and audits a field naming who acts: the
// registry would otherwise drop it silently before Forge sees it.

/**
 * What an assistant can do with compliance through the Backstage actions registry (and so MCP): read an
 * entity's scorecard, list a team's failing checks, request an exemption. The same guard (permission, audit, actor)
 * as the REST API, and the same ExemptionService rules.
 */
export function registerComplianceActions(deps: {
  actionsRegistry: ActionsRegistryService;
  guard: ForgeGuard;
  compliance: ComplianceService;
  dashboard: DashboardService;
  exemptions: ExemptionService;
}) {
  const { actionsRegistry, guard } = deps;

  actionsRegistry.register({
    name: 'get-entity-scorecard',
    title: 'Get the compliance scorecard of an entity',
    description:
      'Returns the score (0-100), the level reached (bronze, silver, gold) and every failing check with how to fix it, for one catalog entity.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            entityRef: z
              .string()
              .min(1)
              .max(MAX_ENTITY_REF_LENGTH)
              .describe('Entity reference, e.g. component:default/churn-model'),
          })
          .passthrough(),
      output: z =>
        z.object({
          entityRef: z.string(),
          score: z.number(),
          level: z.string(),
          levelProvisional: z
            .boolean()
            .describe(
              'True when the level rests on checks awaiting their first CI evidence: it holds only if they pass',
            ),
          evaluatedAt: z.string(),
          failing: z.array(
            z.object({
              checkId: z.string(),
              title: z.string(),
              severity: z.string(),
              remediation: z.string(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      await guard.authorize(
        { credentials, action: 'get-entity-scorecard', input },
        complianceScorecardReadPermission,
      );
      const ref = normalizeEntityRef(input.entityRef, {
        defaultKind: 'component',
      });
      const card = await deps.compliance.scorecard(ref);
      return {
        output: {
          entityRef: card.entityRef,
          score: card.score,
          level: card.level,
          levelProvisional: card.levelProvisional ?? false,
          evaluatedAt: card.evaluatedAt,
          failing: card.results
            .filter(r => r.status === 'fail' || r.status === 'error')
            .map(r => ({
              checkId: r.checkId,
              title: r.title,
              severity: r.severity,
              remediation: r.remediation,
            })),
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'list-failing-checks-for-group',
    title: 'List failing compliance checks of a team',
    description:
      'Lists failing checks of every entity owned by a group or any of its sub-teams, most severe first.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            groupRef: z
              .string()
              .min(1)
              .max(MAX_ENTITY_REF_LENGTH)
              .describe('Group reference, e.g. group:default/fraud-science'),
          })
          .passthrough(),
      output: z =>
        z.object({
          items: z.array(
            z.object({
              entityRef: z.string(),
              checkId: z.string(),
              title: z.string(),
              severity: z.string(),
              remediation: z.string(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      await guard.authorize(
        { credentials, action: 'list-failing-checks-for-group', input },
        complianceScorecardReadPermission,
      );
      const ref = normalizeEntityRef(input.groupRef, {
        defaultKind: 'group',
        field: 'groupRef',
      });
      const items = await deps.dashboard.failingChecks(ref);
      return {
        output: {
          items: items.map(i => ({
            entityRef: i.entityRef,
            checkId: i.checkId,
            title: i.title,
            severity: i.severity,
            remediation: i.remediation,
          })),
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'request-compliance-exemption',
    title: 'Request a compliance exemption',
    description:
      'Files an exemption request for a failing check of an entity the caller owns; someone in compliance approves or rejects it.',
    attributes: { destructive: false, idempotent: false },
    schema: {
      input: z =>
        z
          .object({
            entityRef: z.string().min(1).max(EXEMPTION_LIMITS.entityRef),
            checkId: z.string().min(1).max(EXEMPTION_LIMITS.checkId),
            justification: z
              .string()
              .max(EXEMPTION_LIMITS.text)
              .describe(
                'Why the risk is acceptable until then: 20 to 4,000 characters',
              ),
            compensatingControl: z
              .string()
              .max(EXEMPTION_LIMITS.text)
              .describe(
                'What reduces the risk meanwhile: 10 to 4,000 characters',
              ),
            expiresAt: z
              .string()
              .max(EXEMPTION_LIMITS.timestamp)
              .describe(
                'RFC 3339 timestamp with a time zone (2026-12-31T23:59:59Z), at most the configured maximum ahead',
              ),
          })
          .passthrough(),
      output: z =>
        z.object({ id: z.string(), status: z.string(), expiresAt: z.string() }),
    },
    action: async ({ input, credentials }) => {
      const entry = {
        credentials,
        action: 'request-compliance-exemption',
        input,
      };
      const entityRef = exemptionEntityRef(input.entityRef);
      const exemption = await guard.audited(
        entry,
        {
          eventId: 'exemption-request',
          permission: complianceExemptionRequestPermission,
          resourceRef: entityRef,
          meta: { entityRef },
          describe: describeExemption,
        },
        caller =>
          deps.exemptions.request(
            { ...input, entityRef, kind: 'exemption' },
            caller.actor,
          ),
      );
      return {
        output: {
          id: exemption.id,
          status: exemption.status,
          expiresAt: exemption.expiresAt,
        },
      };
    },
  });
}
