/**
 * The `forge.io/*` annotations Forge reads, in one place (documented in docs/annotations.md).
 *
 * @public
 */
export const FORGE_ANNOTATIONS = {
  blueprint: 'forge.io/blueprint',
  dataClassification: 'forge.io/data-classification',
  containsPii: 'forge.io/contains-pii',
  region: 'forge.io/region',
  costCenter: 'forge.io/cost-center',
  costTags: 'forge.io/cost-tags',
  costEstimate: 'forge.io/cost-estimate',
  monthlyBudget: 'forge.io/monthly-budget',
  complianceProfile: 'forge.io/compliance-profile',
  gpuProfile: 'forge.io/gpu-profile',
  gpuQuota: 'forge.io/gpu-quota',
  modelCard: 'forge.io/model-card',
  modelStage: 'forge.io/model-stage',
  retentionDays: 'forge.io/retention-days',
  endpoint: 'forge.io/endpoint',
  environmentRequest: 'forge.io/environment-request',
  blueprintVersion: 'forge.io/blueprint-version',
} as const;

/**
 * Data classifications, least sensitive first.
 *
 * @public
 */
export const DATA_CLASSIFICATIONS = [
  'public',
  'internal',
  'confidential',
  'restricted',
] as const;

/** @public */
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

/**
 * The rank of a classification (public 0 .. restricted 3), or -1 when the value is not a valid classification.
 *
 * @public
 */
export function classificationRank(value: string | undefined): number {
  return DATA_CLASSIFICATIONS.indexOf(value as DataClassification);
}

/**
 * The most sensitive of the given classifications; undefined when none is valid.
 *
 * @public
 */
export function highestClassification(
  values: Array<string | undefined>,
): DataClassification | undefined {
  const rank = Math.max(-1, ...values.map(classificationRank));
  return rank >= 0 ? DATA_CLASSIFICATIONS[rank] : undefined;
}

/**
 * Splits a `name@version` blueprint annotation.
 *
 * @public
 */
export function parseBlueprintAnnotation(
  value: string | undefined,
): { name: string; version: string } | undefined {
  const match = value?.match(
    /^([a-z0-9][a-z0-9-]*)@(\d+\.\d+\.\d+(?:[-+][\w.]+)?)$/,
  );
  return match ? { name: match[1], version: match[2] } : undefined;
}
