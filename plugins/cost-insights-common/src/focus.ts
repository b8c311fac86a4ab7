// The part of the FinOps FOCUS specification (versions 1.0, 1.1 and 1.2) Forge reads.

/**
 * Columns every accepted export must have: present and mandatory in FOCUS 1.0, 1.1 and 1.2.
 *
 * @public
 */
export const FOCUS_REQUIRED_COLUMNS = [
  'BilledCost',
  'BillingAccountId',
  'BillingCurrency',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargeCategory',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'EffectiveCost',
  'ListCost',
  'ProviderName',
  'ServiceCategory',
  'ServiceName',
] as const;

/**
 * Columns Forge reads when present; a missing column or the literal NULL means no value.
 *
 * @public
 */
export const FOCUS_OPTIONAL_COLUMNS = [
  'BillingAccountName',
  'SubAccountId',
  'SubAccountName',
  'RegionId',
  'RegionName',
  'ConsumedQuantity',
  'ConsumedUnit',
  'Tags',
  'CommitmentDiscountStatus',
  'ResourceType',
  'SkuId',
  'ChargeDescription',
] as const;

/** @public */
export type FocusColumn =
  | (typeof FOCUS_REQUIRED_COLUMNS)[number]
  | (typeof FOCUS_OPTIONAL_COLUMNS)[number];

/**
 * The ChargeCategory values FOCUS allows.
 *
 * @public
 */
export const FOCUS_CHARGE_CATEGORIES = [
  'Usage',
  'Purchase',
  'Tax',
  'Credit',
  'Adjustment',
] as const;

/** @public */
export type FocusChargeCategory = (typeof FOCUS_CHARGE_CATEGORIES)[number];

/**
 * The ServiceCategory values of FOCUS 1.0 to 1.2 (Forge accepts others, as providers add them early).
 *
 * @public
 */
export const FOCUS_SERVICE_CATEGORIES = [
  'AI and Machine Learning',
  'Analytics',
  'Business Applications',
  'Compute',
  'Databases',
  'Developer Tools',
  'Multicloud',
  'Identity',
  'Integration',
  'Internet of Things',
  'Management and Governance',
  'Media',
  'Migration',
  'Mobile',
  'Networking',
  'Security',
  'Storage',
  'Web',
  'Other',
] as const;

/** @public */
export type FocusVersion = '1.0' | '1.1' | '1.2';

/**
 * The FOCUS version of an export, from the columns that version introduced.
 *
 * @public
 */
export function detectFocusVersion(columns: readonly string[]): FocusVersion {
  const has = (...names: string[]) => names.some(n => columns.includes(n));
  if (
    has('InvoiceId', 'BillingAccountType', 'SubAccountType', 'PricingCurrency')
  ) {
    return '1.2';
  }
  if (
    has(
      'ServiceSubcategory',
      'CapacityReservationId',
      'CommitmentDiscountQuantity',
      'SkuMeter',
      'SkuPriceDetails',
    )
  ) {
    return '1.1';
  }
  return '1.0';
}

/**
 * A product key for a service category, as Cost Insights product panels use (`AI and Machine Learning` is
 * `ai-and-machine-learning`).
 *
 * @public
 */
export function productKey(serviceCategory: string): string {
  return serviceCategory
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
