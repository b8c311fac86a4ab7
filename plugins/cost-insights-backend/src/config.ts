import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import path from 'node:path';
import { z } from 'zod';
import {
  CostQuery,
  QUERY_ENGINES,
} from './ingestion/sources/duckdbQuerySource';

/** Which FOCUS cost column Forge shows. */
export type CostMetric = 'effective' | 'billed' | 'list';

/** The validated `forge.cost` configuration. */
export type CostConfig = {
  currency: string;
  costMetric: CostMetric;
  ingestion: {
    folder: string;
    locations: string[];
    queries: CostQuery[];
    schedule: SchedulerServiceTaskScheduleDefinition;
    maxUploadBytes: number;
  };
  attribution: {
    tagKeys: Array<{ key: string; defaultKind: string }>;
    subAccounts: Array<{ id: string; group: string }>;
    entityKinds: string[];
  };
  gpuPattern: RegExp;
  alerts: {
    budgetThresholds: number[];
    forecastOverBudget: boolean;
    anomalyMinimumExcess: number;
    anomalyMinimumScore: number;
    anomalyBaselineDays: number;
    schedule: SchedulerServiceTaskScheduleDefinition;
  };
  demoData: { enabled: boolean; days: number; seed: number };
};

/** GPU SKUs, instance families and units as the large providers name them. */
export const DEFAULT_GPU_PATTERN =
  'gpu|nvidia|\\b(a10g?|a100|h100|h200|v100|l4|l40s?|t4)\\b|\\b(p3|p4d|p4de|p5|g4dn|g5|g6|g6e)\\.|_n[cdv]\\d';

/**
 * Whether a query's path is narrower than everything: not the root of a file system (`/`, `C:\`) and, for an
 * object store, a bucket and more (`s3://bucket/focus/`, not `s3://`). DuckDB lets the query read everything below it.
 */
function isNarrowQueryPath(p: string): boolean {
  const url = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(p);
  if (url) return url[2] !== '' && !url[2].startsWith('/');
  const resolved = path.resolve(p);
  return resolved !== path.parse(resolved).root;
}

const schema = z.object({
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
    .default('USD'),
  costMetric: z.enum(['effective', 'billed', 'list']).default('effective'),
  ingestion: z
    .object({
      folder: z.string().min(1).optional(),
      locations: z
        .array(
          z
            .string()
            .url()
            .refine(
              u => !u.includes('{') || u.split('{billingPeriod}').length === 2,
              'the only placeholder is {billingPeriod}, once',
            ),
        )
        .default([]),
      queries: z
        .array(
          z
            .object({
              name: z
                .string()
                .regex(
                  /^[\w.-]{1,64}$/,
                  'letters, digits, dots, dashes and underscores (at most 64)',
                ),
              engine: z.enum(QUERY_ENGINES).default('duckdb'),
              sql: z.string().min(1).max(100_000),
              paths: z
                .array(
                  z
                    .string()
                    .min(1)
                    .max(4096)
                    .refine(
                      p => !p.includes('\0'),
                      'a path without NUL characters',
                    )
                    .refine(
                      isNarrowQueryPath,
                      'a folder, file or object-store prefix of the exports, not the root of a file system or a whole object store (name the folder or bucket path the exports are in)',
                    ),
                )
                .default([]),
              extensions: z
                .array(
                  z.string().regex(/^[a-z0-9_]{1,64}$/, 'an extension name'),
                )
                .default([]),
              memoryLimit: z
                .string()
                .regex(
                  /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i,
                  'a size such as 2GB',
                )
                .default('1GB'),
              threads: z.number().int().min(1).max(64).default(2),
              timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
              refreshMinutes: z.number().int().min(1).default(360),
            })
            .refine(q => q.engine !== 'duckdb' || q.paths.length > 0, {
              message:
                'a DuckDB query lists the folders, files or object-store prefixes it reads under paths; it may read nothing else',
              path: ['paths'],
            }),
        )
        .default([])
        .refine(
          qs => new Set(qs.map(q => q.name)).size === qs.length,
          'each query needs its own name',
        ),
      maxUploadBytes: z
        .number()
        .int()
        .positive()
        .default(2 * 1024 ** 3),
    })
    .default({ locations: [], queries: [], maxUploadBytes: 2 * 1024 ** 3 }),
  attribution: z
    .object({
      tagKeys: z
        .array(
          z.object({
            key: z.string().min(1),
            defaultKind: z.string().min(1).default('component'),
          }),
        )
        .default([{ key: 'forge-entity', defaultKind: 'component' }]),
      subAccounts: z
        .array(z.object({ id: z.string().min(1), group: z.string().min(1) }))
        .default([]),
      entityKinds: z
        .array(z.string().min(1))
        .default(['Component', 'Resource', 'System']),
    })
    .default({
      tagKeys: [{ key: 'forge-entity', defaultKind: 'component' }],
      subAccounts: [],
      entityKinds: ['Component', 'Resource', 'System'],
    }),
  gpuPattern: z.string().default(DEFAULT_GPU_PATTERN),
  alerts: z
    .object({
      budgetThresholds: z
        .array(z.number().positive().max(10))
        .default([0.8, 1]),
      forecastOverBudget: z.boolean().default(true),
      anomalyMinimumExcess: z.number().nonnegative().default(50),
      anomalyMinimumScore: z.number().positive().default(4),
      anomalyBaselineDays: z.number().int().min(7).max(120).default(28),
    })
    .default({
      budgetThresholds: [0.8, 1],
      forecastOverBudget: true,
      anomalyMinimumExcess: 50,
      anomalyMinimumScore: 4,
      anomalyBaselineDays: 28,
    }),
  demoData: z
    .object({
      enabled: z.boolean().default(false),
      days: z.number().int().min(90).max(730).default(120),
      seed: z.number().int().default(42),
    })
    .default({ enabled: false, days: 120, seed: 42 }),
});

function scheduleAt(
  config: Config,
  key: string,
  fallback: SchedulerServiceTaskScheduleDefinition,
): SchedulerServiceTaskScheduleDefinition {
  const sub = config.getOptionalConfig(key);
  return sub
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(sub)
    : fallback;
}

/**
 * Reads `forge.cost` from the root config. Paths resolve against the backend's working directory, as the
 * rest of the embedded default's paths do.
 */
export function readCostConfig(config: Config): CostConfig {
  const raw = config.getOptional('forge.cost') ?? {};
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map(i => `forge.cost.${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid cost configuration: ${problems}`);
  }
  const c = parsed.data;
  let gpuPattern: RegExp;
  try {
    gpuPattern = new RegExp(c.gpuPattern, 'i');
  } catch (e) {
    throw new InputError(
      `Invalid cost configuration: forge.cost.gpuPattern is not a regular expression (${
        (e as Error).message
      })`,
    );
  }
  const dataDir = config.getOptionalString('forge.dataDir') ?? '../../.data';
  return {
    currency: c.currency,
    costMetric: c.costMetric,
    ingestion: {
      folder: path.resolve(
        c.ingestion.folder ?? path.join(dataDir, 'cost', 'inbox'),
      ),
      locations: c.ingestion.locations,
      queries: c.ingestion.queries,
      maxUploadBytes: c.ingestion.maxUploadBytes,
      schedule: scheduleAt(config, 'forge.cost.ingestion.schedule', {
        frequency: { minutes: 1 },
        timeout: { minutes: 30 },
        initialDelay: { seconds: 10 },
      }),
    },
    attribution: c.attribution,
    gpuPattern,
    alerts: {
      ...c.alerts,
      schedule: scheduleAt(config, 'forge.cost.alerts.schedule', {
        frequency: { hours: 1 },
        timeout: { minutes: 10 },
        initialDelay: { minutes: 1 },
      }),
    },
    demoData: c.demoData,
  };
}
