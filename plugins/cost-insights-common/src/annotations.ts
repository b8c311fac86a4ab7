/**
 * The `forge.io/*` annotations the cost plugins read (documented in docs/annotations.md).
 *
 * @public
 */
export const COST_ANNOTATIONS = {
  /** Billing tags (`key=value`, comma separated) whose spend belongs to the entity. */
  costTags: 'forge.io/cost-tags',
  /** The finance cost center charged. */
  costCenter: 'forge.io/cost-center',
  /** Monthly budget in the billing currency, on Groups and Components. */
  monthlyBudget: 'forge.io/monthly-budget',
  /** Number of GPUs in the environment's quota. */
  gpuQuota: 'forge.io/gpu-quota',
} as const;

/** @public */
export type BillingTag = { key: string; value: string };

/**
 * The result of reading an annotation: its value, or a message saying what is wrong with it.
 *
 * @public
 */
export type AnnotationReading<T> =
  | { ok: true; value: T }
  | { ok: false; error: string };

/**
 * Reads `forge.io/cost-tags`: `key=value` pairs separated by commas. Keys and values are trimmed; tag keys
 * compare case-sensitively, as cloud providers treat them.
 *
 * @public
 */
export function parseCostTags(raw: string): AnnotationReading<BillingTag[]> {
  const tags: BillingTag[] = [];
  for (const part of raw.split(',')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0 || eq === trimmed.length - 1) {
      return {
        ok: false,
        error: `${COST_ANNOTATIONS.costTags}: "${trimmed}" is not a key=value pair; write it like forge-project=churn-model`,
      };
    }
    tags.push({
      key: trimmed.slice(0, eq).trim(),
      value: trimmed.slice(eq + 1).trim(),
    });
  }
  if (tags.length === 0) {
    return {
      ok: false,
      error: `${COST_ANNOTATIONS.costTags} is empty; write key=value pairs separated by commas`,
    };
  }
  return { ok: true, value: tags };
}

/**
 * Reads `forge.io/monthly-budget`: a positive amount in the billing currency, digits with an optional decimal
 * part (no currency symbol, no thousands separator).
 *
 * @public
 */
export function parseMonthlyBudget(raw: string): AnnotationReading<number> {
  const trimmed = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed) || Number(trimmed) <= 0) {
    return {
      ok: false,
      error: `${COST_ANNOTATIONS.monthlyBudget}: "${raw}" is not a positive amount; write digits only, e.g. '4200'`,
    };
  }
  return { ok: true, value: Number(trimmed) };
}
