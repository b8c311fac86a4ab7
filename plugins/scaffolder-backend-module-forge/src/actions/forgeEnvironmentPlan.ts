import { AuditorService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { highestClassification, PolicyPack } from '@internal/plugin-compliance-common';
import { ComplianceGateway } from '../compliance/ComplianceGateway';
import { z } from 'zod/v3';
import { planEnvironment } from '../environment/planEnvironment';
import { resolveDataSources } from '../environment/resolveDataSources';
import { auditedStep } from '../lib/audit';
import {
  classificationSchema,
  groupRefSchema,
  parseActionInput,
  projectNameSchema,
  regionSchema,
  relativePathSchema,
  resourceRefSchema,
  systemRefSchema,
} from '../lib/inputs';
import { resolveInsideWorkspace, writeFilesInsideWorkspace } from '../lib/workspace';
import { BlueprintSettings } from '../settings';
import { examples } from './forgeEnvironmentPlan.examples';

export const ACTION_ID = 'forge:environment:plan';

const booleanish = z.preprocess(v => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}, z.boolean());

export const environmentPlanInput = z.object({
  name: projectNameSchema.describe('Project name; also the namespace unless one is given.'),
  namespace: projectNameSchema.optional(),
  owner: groupRefSchema,
  system: systemRefSchema,
  blueprint: z
    .string()
    .regex(/^[a-z0-9-]+@\d+\.\d+\.\d+$/, 'blueprint must be name@version, e.g. ml-training-pipeline@1.0.0'),
  classification: classificationSchema
    .optional()
    .describe('Requested classification; raised to the most sensitive of the data sources.'),
  containsPii: booleanish.optional(),
  region: regionSchema,
  dataSources: z
    .array(resourceRefSchema)
    .max(20, 'at most 20 data sources')
    .default([])
    .transform(refs => [...new Set(refs)]),
  profile: z.string().max(60).describe('Compute profile from the price catalog'),
  replicas: z.coerce.number().int().min(1).max(50).default(1),
  minReplicas: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .optional()
    .describe('For services that scale: the replicas always running. At most `replicas`, the maximum the quota is sized for.'),
  gpuType: z.string().max(60).optional(),
  gpuCount: z.coerce.number().int().min(0).max(8).default(0),
  storageGi: z.coerce.number().int().min(1).max(100_000).default(50),
  workload: z
    .object({
      kind: z.enum(['batch', 'service', 'workspace']),
      metricsPort: z.coerce.number().int().min(1).max(65535).default(8080),
      ingressFromNamespaces: z.array(projectNameSchema).max(5).default([]),
      ingressPort: z.coerce.number().int().min(1).max(65535).optional(),
    })
    .default({ kind: 'batch' }),
  slo: z
    .object({
      availability: z.coerce.number().min(0.9).max(0.99999),
      latencyP95Ms: z.coerce.number().int().min(1).max(60_000),
    })
    .optional(),
  outputPath: relativePathSchema('outputPath').default('environment'),
});

/**
 * `forge:environment:plan`: renders the project's environment request for GitOps into the workspace (Kubernetes
 * namespace, quota, limits, network policies, RBAC, workload identity, monitoring; Terraform for its storage) and
 * validates every manifest. Also settles the project's classification: never lower than its data sources'.
 */
export function createForgeEnvironmentPlanAction(options: {
  settings: BlueprintSettings;
  catalog: CatalogService;
  auditor: AuditorService;
  /** The policy packs the compliance backend loaded: the GPU limit (parameter maxGpuQuota) is theirs. */
  policies?: Pick<ComplianceGateway, 'listPolicyPacks'>;
}) {
  const { settings, catalog, auditor, policies } = options;
  return createTemplateAction({
    id: ACTION_ID,
    description:
      'Renders and validates the environment request of a project (namespace, quota, network policy, RBAC, workload identity, monitoring, Terraform).',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => environmentPlanInput,
      output: {
        namespace: zod => zod.string(),
        path: zod => zod.string({ description: 'Workspace folder holding the request' }),
        files: zod => zod.array(zod.string()),
        classification: zod => zod.string({ description: 'Effective classification (never lower than the sources)' }),
        containsPii: zod => zod.boolean(),
        dataSources: zod => zod.array(zod.string()),
        quota: zod => zod.record(zod.unknown()),
        storage: zod => zod.record(zod.unknown()),
        serviceAccount: zod => zod.record(zod.unknown()),
        objectCount: zod => zod.number(),
        endpoints: zod =>
          zod.record(zod.string(), { description: 'forge.io/endpoint of each data source, by entity ref' }),
        sources: zod =>
          zod.record(zod.record(zod.unknown()), {
            description: 'Classification, personal data and endpoint of each data source, by entity ref',
          }),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(ACTION_ID, environmentPlanInput, ctx.input);
      if (!settings.regions.includes(input.region)) {
        throw new InputError(
          `${ACTION_ID}: region ${input.region} is not allowed; choose one of ${settings.regions.join(', ')}`,
        );
      }
      const outputDir = await resolveInsideWorkspace(ctx.workspacePath, input.outputPath, 'outputPath');
      const namespace = input.namespace ?? input.name;

      const result = await auditedStep(
        auditor,
        ctx,
        {
          eventId: 'blueprint-environment-plan',
          meta: { project: input.name, namespace, owner: input.owner },
          describe: r => ({ classification: r.classification, objectCount: r.plan.objectCount }),
        },
        async () => {
          const pricing = settings.pricing;
          const profile = pricing?.computeProfiles[input.profile];
          if (!profile) {
            throw new InputError(
              `${ACTION_ID}: unknown compute profile '${input.profile}'; the price catalog has ${Object.keys(
                pricing?.computeProfiles ?? {},
              ).join(', ') || 'none'} (forge.blueprints.pricing)`,
            );
          }
          if (input.gpuCount > 0 && (!input.gpuType || !pricing?.gpuTypes[input.gpuType])) {
            throw new InputError(
              `${ACTION_ID}: unknown GPU type '${input.gpuType ?? ''}'; the price catalog has ${Object.keys(
                pricing?.gpuTypes ?? {},
              ).join(', ')}`,
            );
          }
          if (input.minReplicas !== undefined && input.minReplicas > input.replicas) {
            throw new InputError(
              `${ACTION_ID}: the minimum replicas (${input.minReplicas}) are more than the maximum (${input.replicas}); choose a minimum no higher than the maximum`,
            );
          }
          // Services keep room for one more replica (rolling update, canary); jobs and notebooks run what they ask.
          const slots = input.replicas + (input.workload.kind === 'service' ? 1 : 0);
          const gpuQuota = input.gpuCount * slots;
          if (gpuQuota > 0 && policies) {
            // Refused here, before anything is created and on the review page, rather than created failing
            // gpu.quota-declared. The limit is the policy's, as the scorecard applies it.
            const limit = gpuLimit(await policies.listPolicyPacks());
            if (limit && gpuQuota > limit.max) {
              throw new InputError(
                `${ACTION_ID}: the namespace would need ${gpuQuota} GPUs (${input.gpuCount} per replica x ${slots} replicas${
                  input.workload.kind === 'service' ? `: at most ${input.replicas}, plus one for rolling updates` : ''
                }), more than the ${limit.max} the ${limit.pack} policy pack allows a project (maxGpuQuota); choose fewer GPUs per replica or fewer ${
                  input.workload.kind === 'service' ? 'maximum ' : ''
                }replicas`,
              );
            }
          }
          const { sources } = await resolveDataSources(
            catalog,
            input.dataSources,
            await ctx.getInitiatorCredentials(),
          );
          const classification = highestClassification([
            input.classification,
            ...sources.map(s => s.classification),
          ]) ?? 'internal';
          if (input.classification && classification !== input.classification) {
            ctx.logger.info(
              `Classification raised from ${input.classification} to ${classification}: a project is never classified lower than the data it reads.`,
            );
          }
          const containsPii = input.containsPii === true || sources.some(s => s.containsPii);
          const plan = planEnvironment(
            {
              project: input.name,
              namespace,
              owner: input.owner,
              system: input.system,
              blueprint: input.blueprint,
              classification,
              containsPii,
              region: input.region,
              dataSources: sources,
              quota: {
                cpu: profile.cpu * slots,
                memoryGi: profile.memoryGi * slots,
                gpu: input.gpuCount * slots,
                gpuType: input.gpuCount > 0 ? input.gpuType : undefined,
                storageGi: input.storageGi,
              },
              workload: input.workload,
              slo: input.slo,
            },
            settings.environment,
          );
          const files = await writeFilesInsideWorkspace(ctx.workspacePath, input.outputPath, plan.files);
          return { plan, files, classification, containsPii, sources };
        },
      );
      const { plan } = result;
      ctx.logger.info(
        `Environment request for namespace ${plan.namespace}: ${plan.objectCount} Kubernetes objects validated, Terraform for ${plan.storage.bucket} (${plan.storage.encryption}, ${plan.storage.retentionDays} days), written to ${input.outputPath}/`,
      );
      ctx.output('namespace', plan.namespace);
      ctx.output('path', outputDir === ctx.workspacePath ? '.' : input.outputPath);
      ctx.output('files', result.files);
      ctx.output('classification', result.classification);
      ctx.output('containsPii', result.containsPii);
      ctx.output('dataSources', result.sources.map(s => s.ref));
      ctx.output('quota', { ...plan.quota });
      ctx.output('storage', { ...plan.storage });
      ctx.output('serviceAccount', { ...plan.serviceAccount });
      ctx.output('objectCount', plan.objectCount);
      ctx.output(
        'sources',
        Object.fromEntries(
          result.sources.map(s => [
            s.ref,
            {
              classification: s.classification ?? null,
              containsPii: s.containsPii === true,
              endpoint: s.endpoint ?? null,
            },
          ]),
        ),
      );
      ctx.output(
        'endpoints',
        Object.fromEntries(result.sources.filter(s => s.endpoint).map(s => [s.ref, s.endpoint!])),
      );
    },
  });
}

/** The smallest maxGpuQuota among the loaded policy packs, and whose it is; none when no pack sets one. */
function gpuLimit(packs: PolicyPack[]): { max: number; pack: string } | undefined {
  let limit: { max: number; pack: string } | undefined;
  for (const pack of packs) {
    const max = Number(pack.parameters?.maxGpuQuota);
    if (Number.isFinite(max) && (!limit || max < limit.max)) limit = { max, pack: pack.name };
  }
  return limit;
}
