import { Config } from '@backstage/config';
import path from 'node:path';
import { z } from 'zod/v3';

const amount = z.number().nonnegative();
const title = z.string().max(120).optional();
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]*$/, 'names are lowercase letters, digits, dots and dashes');

const limitsSchema = z
  .object({ approvalThreshold: amount, hardLimit: amount })
  .refine(l => l.approvalThreshold <= l.hardLimit, {
    message: 'approvalThreshold must not be above hardLimit',
  });

const pricingSchema = z.object({
  hoursPerMonth: z.number().positive().max(744).default(730),
  computeProfiles: z
    .record(
      name,
      z.object({
        title,
        cpu: z.number().positive(),
        memoryGi: z.number().positive(),
        hourly: amount,
      }),
    )
    .default({}),
  gpuTypes: z
    .record(
      name,
      z.object({ title, memoryGi: z.number().positive().optional(), hourly: amount }),
    )
    .default({}),
  storage: z
    .record(name, z.object({ title, perGiBMonth: amount }))
    .default({}),
  managedServices: z
    .record(name, z.object({ title, monthly: amount }))
    .default({}),
  limits: z
    .object({
      default: limitsSchema.default({ approvalThreshold: 2000, hardLimit: 10000 }),
      groups: z.record(z.string(), limitsSchema).default({}),
    })
    .default({}),
});

const environmentSchema = z.object({
  workloadIdentity: z
    .object({
      provider: z.enum(['aws', 'gcp', 'azure']),
      identityTemplate: z.string().min(1),
    })
    .optional(),
  groupPrefix: z.string().default(''),
  egressCidrs: z.record(z.string(), z.array(z.string())).default({}),
  defaultEgressCidrs: z.array(z.string()).default(['10.0.0.0/8']),
  retentionDays: z
    .object({
      public: z.number().int().positive().default(365),
      internal: z.number().int().positive().default(730),
      confidential: z.number().int().positive().default(1825),
      restricted: z.number().int().positive().default(2555),
    })
    .default({}),
});

export const PUBLISH_PROVIDERS = [
  'local',
  'github',
  'gitlab',
  'bitbucketServer',
  'azure',
] as const;
export type PublishProvider = (typeof PUBLISH_PROVIDERS)[number];

const publishSchema = z
  .object({
    provider: z.enum(PUBLISH_PROVIDERS).default('local'),
    host: z.string().optional(),
    organization: z.string().optional(),
    project: z.string().optional(),
    defaultBranch: z.string().default('main'),
    prefixWithOwner: z.boolean().default(false),
    gitops: z
      .object({
        repository: z.string().default('gitops'),
        organization: z.string().optional(),
        path: z.string().default('environments'),
      })
      .default({}),
  })
  .superRefine((p, ctx) => {
    if (p.provider === 'local') return;
    if (!p.host || !p.organization) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `publish.provider ${p.provider} needs publish.host and publish.organization`,
      });
    }
    if (p.provider === 'azure' && !p.project) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'publish.provider azure needs publish.project (the Azure DevOps project)',
      });
    }
  });

const blueprintsSchema = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code such as USD').default('USD'),
  regions: z
    .array(z.string().regex(/^[a-z]{2}-[a-z]+-\d$/))
    .default(['eu-west-1', 'eu-central-1', 'eu-north-1']),
  pricing: pricingSchema.optional(),
  environment: environmentSchema.default({}),
  publish: publishSchema.default({}),
});

export type PriceCatalog = z.output<typeof pricingSchema> & { currency: string };
export type CostLimits = z.output<typeof limitsSchema>;
export type EnvironmentSettings = z.output<typeof environmentSchema>;
export type PublishSettings = z.output<typeof publishSchema> & {
  /** The portal's address (`app.baseUrl`): where the embedded default serves its local repositories. */
  appBaseUrl: string;
};

/** Everything the forge:* actions read from `forge.blueprints` and `forge.dataDir`, validated once at startup. */
export interface BlueprintSettings {
  currency: string;
  regions: string[];
  /** Undefined when no price catalog is configured: estimates then fail with a message saying so. */
  pricing?: PriceCatalog;
  environment: EnvironmentSettings;
  publish: PublishSettings;
  /** Absolute path of the data folder. */
  dataDir: string;
  /** Who commits generated projects. */
  gitAuthor: { name: string; email: string };
}

/** Reads and validates the blueprint settings; a mistake in them stops the backend with the key that is wrong. */
export function readBlueprintSettings(config: Config): BlueprintSettings {
  const raw = config.getOptional('forge.blueprints') ?? {};
  const parsed = blueprintsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid configuration forge.blueprints.${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const { currency, regions, pricing, environment, publish } = parsed.data;
  return {
    currency,
    regions,
    pricing: pricing ? { ...pricing, currency } : undefined,
    environment,
    publish: { ...publish, appBaseUrl: config.getOptionalString('app.baseUrl') ?? 'http://localhost:7007' },
    dataDir: path.resolve(
      config.getOptionalString('forge.dataDir') ?? '../../.data',
    ),
    gitAuthor: {
      name: config.getOptionalString('scaffolder.defaultAuthor.name') ?? 'Forge',
      email:
        config.getOptionalString('scaffolder.defaultAuthor.email') ??
        'forge@localhost',
    },
  };
}
