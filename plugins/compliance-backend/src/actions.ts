import { PermissionsService } from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  complianceExemptionRequestPermission,
  complianceScorecardReadPermission,
} from '@internal/plugin-compliance-common';
import { ComplianceService } from './service/ComplianceService';
import { DashboardService } from './service/DashboardService';
import { ExemptionService } from './service/ExemptionService';
import { principalOf } from './service/requestContext';

/**
 * What an assistant can do with compliance through the Backstage actions registry (and so MCP): read an
 * entity's scorecard, list a team's failing checks, request an exemption. Same permissions as the REST API.
 */
export function registerComplianceActions(deps: {
  actionsRegistry: ActionsRegistryService;
  permissions: PermissionsService;
  compliance: ComplianceService;
  dashboard: DashboardService;
  exemptions: ExemptionService;
}) {
  const { actionsRegistry, permissions } = deps;
  const allowed = async (
    credentials: Parameters<PermissionsService['authorize']>[1]['credentials'],
    permission: any,
    resourceRef?: string,
  ) => {
    const [decision] = await permissions.authorize(
      [resourceRef ? { permission, resourceRef } : { permission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
  };

  actionsRegistry.register({
    name: 'get-entity-scorecard',
    title: 'Get the compliance scorecard of an entity',
    description:
      'Returns the score (0-100), the level reached (bronze, silver, gold) and every failing check with how to fix it, for one catalog entity.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .describe('Entity reference, e.g. component:default/churn-model'),
        }),
      output: z =>
        z.object({
          entityRef: z.string(),
          score: z.number(),
          level: z.string(),
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
      await allowed(credentials, complianceScorecardReadPermission);
      const ref = stringifyEntityRef(
        parseEntityRef(input.entityRef, {
          defaultKind: 'component',
          defaultNamespace: 'default',
        }),
      );
      const card = await deps.compliance.scorecard(ref);
      return {
        output: {
          entityRef: card.entityRef,
          score: card.score,
          level: card.level,
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
        z.object({
          groupRef: z
            .string()
            .describe('Group reference, e.g. group:default/fraud-science'),
        }),
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
      await allowed(credentials, complianceScorecardReadPermission);
      const ref = stringifyEntityRef(
        parseEntityRef(input.groupRef, {
          defaultKind: 'group',
          defaultNamespace: 'default',
        }),
      );
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
        z.object({
          entityRef: z.string(),
          checkId: z.string(),
          justification: z.string().min(20),
          compensatingControl: z.string().min(10),
          expiresAt: z
            .string()
            .describe('ISO 8601 date, at most the configured maximum ahead'),
        }),
      output: z =>
        z.object({ id: z.string(), status: z.string(), expiresAt: z.string() }),
    },
    action: async ({ input, credentials }) => {
      const entityRef = stringifyEntityRef(
        parseEntityRef(input.entityRef, {
          defaultKind: 'component',
          defaultNamespace: 'default',
        }),
      );
      await allowed(
        credentials,
        complianceExemptionRequestPermission,
        entityRef,
      );
      const exemption = await deps.exemptions.request(
        { ...input, entityRef, kind: 'exemption' },
        principalOf(credentials),
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
