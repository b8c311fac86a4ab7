import { AuditorService, AuthService, BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import { SCAFFOLDER_SERVICE_ACTOR } from '@internal/plugin-forge-node';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod/v3';
import { ComplianceGateway } from '../compliance/ComplianceGateway';
import { evaluateRequest, explainDecision, GateDecision } from '../compliance/evaluateRequest';
import { loadEvaluationEnvironment, loadRelatedEntities } from '../compliance/loadEvaluationContext';
import { limitsForGroup } from '../cost/estimateMonthlyCost';
import { auditedStep } from '../lib/audit';
import { parseActionInput, relativePathSchema, safeText } from '../lib/inputs';
import { validateCatalogEntity } from '../lib/validateEntity';
import { resolveInsideWorkspace } from '../lib/workspace';
import { BlueprintSettings } from '../settings';
import { examples } from './forgeComplianceEvaluate.examples';

export const ACTION_ID = 'forge:compliance:evaluate';

/** How long a gate approval holds once granted (Compliance may shorten it when deciding). */
const APPROVAL_VALIDITY_DAYS = 90;
/** The most a catalog-info.yaml or request.yaml may weigh; more is not something a blueprint renders. */
const MAX_DOCUMENT_BYTES = 256 * 1024;

const booleanish = z.preprocess(v => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}, z.boolean());

export const complianceEvaluateInput = z.object({
  entityPath: relativePathSchema('entityPath')
    .default('catalog-info.yaml')
    .describe('The catalog-info.yaml the blueprint will register, relative to the workspace.'),
  environmentPath: relativePathSchema('environmentPath')
    .optional()
    .describe('Folder of the environment request (forge:environment:plan output path).'),
  cost: z
    .object({
      // Accepted for templates written before the gate decided it, and ignored: the gate compares the estimate with
      // the owning group's threshold in the price catalog itself.
      approvalRequired: booleanish.optional(),
      monthlyTotal: z.coerce.number().nonnegative(),
      approvalThreshold: z.coerce.number().nonnegative().optional(),
      currency: z.string().regex(/^[A-Z]{3}$/),
    })
    .optional()
    .describe(
      "The forge:cost:estimate outputs, for the cost approval. Only the estimate is read: the threshold is the owning group's in the price catalog.",
    ),
  justification: safeText('justification', 1000)
    .optional()
    .describe('Why the project needs what it asks for; goes into approval requests.'),
  parameters: z
    .record(z.union([z.string().max(1000), z.number(), z.boolean(), z.array(z.string().max(300)).max(20)]))
    .optional()
    .refine(p => !p || Object.keys(p).length <= 50, 'at most 50 parameters')
    .describe('The form parameters, kept with the evidence of the evaluation.'),
});

async function readBounded(file: string, label: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new InputError(`${ACTION_ID}: ${label} was not found in the workspace; render it before the gate step`);
  }
  if (stat.size > MAX_DOCUMENT_BYTES) {
    throw new InputError(`${ACTION_ID}: ${label} is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB`);
  }
  return fs.readFile(file, 'utf8');
}

/**
 * `forge:compliance:evaluate`: the compliance gate. Evaluates what the blueprint is about to register (every
 * entity in catalog-info.yaml, with its data sources) and its environment request against the same policy packs
 * as the scorecards. Blocking failures stop the task before anything is published; other findings become outputs;
 * restricted data and cost above the group's threshold need an approval, filed in the compliance exemption queue.
 * Every evaluation leaves an evidence record.
 */
export function createForgeComplianceEvaluateAction(options: {
  settings: BlueprintSettings;
  catalog: CatalogService;
  compliance: ComplianceGateway;
  auditor: AuditorService;
  /** To look for existing entities as the scaffolder, not as the person (who may not see another team's). */
  auth?: AuthService;
  now?: () => Date;
}) {
  const { settings, catalog, compliance, auditor, auth } = options;
  const now = options.now ?? (() => new Date());
  return createTemplateAction({
    id: ACTION_ID,
    description:
      'The Forge compliance gate: evaluates the entity and environment request a blueprint will create against the policy packs, asks for approvals and records evidence.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => complianceEvaluateInput,
      output: {
        decision: zod => zod.enum(['passed', 'blocked', 'approval-required']),
        score: zod => zod.number({ description: 'Score of the project entity, 0 to 100' }),
        level: zod => zod.string(),
        warnings: zod => zod.array(zod.record(zod.unknown())),
        approvals: zod => zod.array(zod.record(zod.unknown())),
        evidenceIds: zod => zod.array(zod.string()),
        summary: zod => zod.string(),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(ACTION_ID, complianceEvaluateInput, ctx.input);
      const entityFile = await resolveInsideWorkspace(ctx.workspacePath, input.entityPath, 'entityPath');
      const requestFile = input.environmentPath
        ? await resolveInsideWorkspace(
            ctx.workspacePath,
            path.join(input.environmentPath, 'request.yaml'),
            'environmentPath',
          )
        : undefined;

      // The documents the blueprint will register, each validated as the catalog would.
      const documents: Entity[] = [];
      for (const [index, doc] of parseAllDocuments(await readBounded(entityFile, input.entityPath)).entries()) {
        if (doc.errors.length) {
          throw new InputError(`${ACTION_ID}: ${input.entityPath} is not valid YAML: ${doc.errors[0].message}`);
        }
        const value = doc.toJSON();
        if (value === null || value === undefined) continue;
        const validated = await validateCatalogEntity(value);
        if ('error' in validated) {
          throw new InputError(
            `${ACTION_ID}: document ${index + 1} of ${input.entityPath} would be refused by the catalog: ${validated.error}`,
          );
        }
        documents.push(validated.entity);
      }
      if (!documents.some(d => d.kind === 'Component')) {
        throw new InputError(`${ACTION_ID}: ${input.entityPath} has no Component to register`);
      }
      const environmentRequest = requestFile
        ? (parse(await readBounded(requestFile, `${input.environmentPath}/request.yaml`)) as GateDecisionInputRequest)
        : undefined;

      // Who asks: the person the task runs for (approvals are filed on their behalf), else the scaffolder itself.
      // The review page's preview is a dry run started by the scaffolder, under the template ref
      // template:default/dry-run: it cannot tell who asks nor from which template, so it does not compare them (it
      // files and records nothing); the real run does.
      const person = ctx.user?.ref?.startsWith('user:') ? ctx.user.ref : undefined;
      const requester = person ?? (ctx.isDryRun ? undefined : SCAFFOLDER_SERVICE_ACTOR);
      const templateRef = ctx.isDryRun ? undefined : ctx.templateInfo?.entityRef ?? null;
      const primary = documents.find(d => d.kind === 'Component')!;
      const primaryRef = stringifyEntityRef(primary);
      const ownerRef = stringifyEntityRef(
        parseEntityRef(String((primary.spec as { owner?: string }).owner ?? ''), { defaultKind: 'group' }),
      );

      const decision = await auditedStep(
        auditor,
        ctx,
        {
          eventId: 'blueprint-compliance-gate',
          severityLevel: 'medium',
          meta: { entityRef: primaryRef, owner: ownerRef },
          describe: (d: GateDecision) => ({
            decision: d.decision,
            blocking: d.blocking.map(f => f.checkId),
            approvals: d.approvals.map(a => `${a.checkId}:${a.status}`),
          }),
        },
        async () => {
          const credentials = await ctx.getInitiatorCredentials();
          const documentRefs = new Set(documents.map(d => stringifyEntityRef(d)));
          if (!ctx.isDryRun) {
            // A blueprint creates new entities only. Its documents must not name one the catalog already holds:
            // the run would otherwise record a passed gate and leave its clean evidence for another team's project
            // (issue 10). Checked once per task, so a retried task does not refuse the project it registered itself.
            await ctx.checkpoint({
              key: `forge.gate.new-entities.${[...documentRefs].join(',')}`,
              fn: async () => {
                await refuseExistingEntities(
                  catalog,
                  [...documentRefs],
                  auth ? await auth.getOwnServiceCredentials() : credentials,
                );
                return true;
              },
            });
          }
          const dependencyRefs = [
            ...new Set(
              documents.flatMap(d =>
                ((d.spec as { dependsOn?: string[] }).dependsOn ?? []).map(r =>
                  stringifyEntityRef(parseEntityRef(r, { defaultKind: 'component', defaultNamespace: d.metadata.namespace ?? 'default' })),
                ),
              ),
            ),
          ].filter(r => !documentRefs.has(r));
          const [packs, environment, related, exemptionLists] = await Promise.all([
            compliance.listPolicyPacks(),
            loadEvaluationEnvironment(catalog, credentials),
            loadRelatedEntities(catalog, dependencyRefs, credentials),
            Promise.all(
              [ownerRef, ...documentRefs].map(entityRef => compliance.listExemptions({ entityRef })),
            ),
          ]);
          const cost = input.cost;
          const result = evaluateRequest({
            packs,
            documents,
            related,
            environment,
            exemptions: exemptionLists.flat(),
            allowedRegions: settings.regions,
            environmentRequest,
            cost: cost && {
              monthlyTotal: cost.monthlyTotal,
              approvalThreshold: cost.approvalThreshold,
              currency: cost.currency,
            },
            costPolicy: settings.pricing && {
              ...limitsForGroup(settings.pricing, ownerRef),
              currency: settings.pricing.currency,
            },
            requester,
            templateRef,
            now: now(),
          });

          // File what is missing in the exemption queue, once per task even if it is retried.
          if (result.decision === 'approval-required' && !ctx.isDryRun) {
            for (const approval of result.approvals.filter(a => a.status === 'missing')) {
              // Per request approved: a task that asks again for something else files a request of its own.
              const subjectDigest = createHash('sha256')
                .update(JSON.stringify(approval.subject))
                .digest('hex')
                .slice(0, 16);
              const filed = await ctx.checkpoint({
                key: `forge.gate.approval.${approval.checkId}.${ownerRef}.${primaryRef}.${subjectDigest}`,
                fn: async () => {
                  const exemption = await compliance.requestExemption({
                    kind: 'approval',
                    // For this project only (it does not exist yet): another project of the team asks again.
                    entityRef: primaryRef,
                    checkId: approval.checkId,
                    justification: [
                      `${ctx.user?.ref ?? 'A member'} asks to create ${primaryRef} from ${
                        primary.metadata.annotations?.[FORGE_ANNOTATIONS.blueprint] ?? 'a blueprint'
                      }: ${approval.reason}.`,
                      input.justification ? `Purpose: ${input.justification}` : '',
                    ]
                      .filter(Boolean)
                      .join(' '),
                    compensatingControl: compensatingControls(primary, environmentRequest),
                    expiresAt: new Date(now().getTime() + APPROVAL_VALIDITY_DAYS * 86_400_000).toISOString(),
                    // Whoever ran the blueprint asks: they may not approve it themselves, and hear the decision.
                    ...(ctx.user?.ref?.startsWith('user:') ? { onBehalfOf: ctx.user.ref } : {}),
                    // What is approved: the gate accepts the approval only for a request that matches it.
                    subject: approval.subject,
                  });
                  return { id: exemption.id };
                },
              });
              approval.status = 'pending';
              approval.exemptionId = filed.id;
            }
          }

          // Evidence: one record per evaluated entity and outcome (a retried task with the same outcome is one record).
          const evidenceIds: string[] = [];
          if (!ctx.isDryRun) {
            // The compliance backend keeps at most 100 reasons of 2,000 characters each.
            const reasons = [
              ...explainDecision(result).split('\n'),
              ...(input.parameters ? [`parameters: ${JSON.stringify(input.parameters)}`] : []),
            ]
              .slice(0, 100)
              .map(line => (line.length > 2000 ? `${line.slice(0, 1997)}...` : line));
            for (const evaluation of result.evaluations) {
              const digest = createHash('sha256')
                .update(JSON.stringify([result.decision, evaluation.results, result.approvals]))
                .digest('hex')
                .slice(0, 16);
              const recorded = await ctx.checkpoint({
                key: `forge.gate.evidence.${evaluation.entityRef}.${digest}`,
                fn: async () =>
                  compliance.recordGateEvaluation({
                    entityRef: evaluation.entityRef,
                    decision: result.decision,
                    evaluation,
                    taskId: ctx.task?.id,
                    templateRef: ctx.templateInfo?.entityRef,
                    reasons,
                  }),
              });
              evidenceIds.push(recorded.id);
            }
          }
          return { ...result, evidenceIds };
        },
      );

      const explanation = explainDecision(decision);
      for (const line of explanation.split('\n').filter(Boolean)) ctx.logger.info(line);
      const primaryEvaluation = decision.evaluations.find(e => e.entityRef === decision.primaryRef);
      ctx.output('decision', decision.decision);
      ctx.output('score', primaryEvaluation?.score ?? 0);
      ctx.output('level', primaryEvaluation?.level ?? 'none');
      ctx.output('warnings', decision.warnings as any);
      ctx.output('approvals', decision.approvals as any);
      ctx.output('evidenceIds', decision.evidenceIds);
      ctx.output('summary', explanation);
      if (decision.decision !== 'passed') {
        if (ctx.isDryRun) {
          ctx.logger.info('Dry run: a real task would stop here.');
        } else {
          throw new NotAllowedError(explanation);
        }
      }
    },
  });
}

/** Refuses, naming them, documents whose entity already exists in the catalog. */
async function refuseExistingEntities(
  catalog: CatalogService,
  refs: string[],
  credentials: BackstageCredentials,
) {
  const { items } = await catalog.getEntitiesByRefs({ entityRefs: refs, fields: ['kind', 'metadata'] }, { credentials });
  const existing = refs.filter((_, i) => items[i]);
  if (existing.length === 0) return;
  const names = existing.map(ref => parseEntityRef(ref).name);
  throw new InputError(
    `${ACTION_ID}: ${existing
      .map((ref, i) => `an entity named ${names[i]} already exists in the catalog (${ref})`)
      .join('; ')}; choose another name. A blueprint creates a new project and never changes an existing one.`,
  );
}

type GateDecisionInputRequest = Parameters<typeof evaluateRequest>[0]['environmentRequest'];

/** What already protects the data, written into approval requests so the approver sees it. */
function compensatingControls(entity: Entity, request: GateDecisionInputRequest): string {
  const spec = (request?.spec ?? {}) as Record<string, any>;
  const parts = [
    'Environment provisioned by Forge: default-deny network policy with egress only to the declared data sources',
    spec.storage
      ? `project storage encrypted (${spec.storage.encryption}) with ${spec.storage.retentionDays}-day retention`
      : undefined,
    `namespace access limited to ${String((entity.spec as { owner?: string }).owner)}`,
    `region ${entity.metadata.annotations?.[FORGE_ANNOTATIONS.region] ?? 'unknown'}`,
  ];
  return parts.filter(Boolean).join('; ');
}
