// The part of the FinOps FOCUS specification (Cost and Usage dataset, versions 1.0 to 1.4) Forge reads.

/** How Forge reads a FOCUS column. @public */
export type FocusColumnSpec = {
  /** text: a string value; decimal: FOCUS Numeric Format; timestamp: a date-time; json: a JSON object (tags). */
  type: 'text' | 'decimal' | 'timestamp' | 'json';
  /** Mandatory in every version Forge accepts. */
  required?: true;
  /** The longest value accepted, in characters (a longer one refuses the row, naming row and column). */
  maxLength?: number;
  /** The FOCUS version that introduced the column, when after 1.0. */
  since?: FocusVersion;
};

/** What one dimension value may hold: the rollup tables store them in columns of 255 characters. */
const DIMENSION = 255;

/**
 * Every FOCUS column Forge reads, with how it reads it: the one declaration of them. The reader, the parser thread's
 * column selection, the test fixtures and the docs follow from it; a column added here is read everywhere.
 *
 * @public
 */
export const FOCUS_COLUMN_SPECS = {
  BilledCost: { type: 'decimal', required: true },
  BillingAccountId: { type: 'text', required: true, maxLength: DIMENSION },
  BillingCurrency: { type: 'text', required: true, maxLength: 16 },
  BillingPeriodStart: { type: 'timestamp', required: true, maxLength: 64 },
  BillingPeriodEnd: { type: 'timestamp', required: true, maxLength: 64 },
  ChargeCategory: { type: 'text', required: true, maxLength: 32 },
  ChargePeriodStart: { type: 'timestamp', required: true, maxLength: 64 },
  ChargePeriodEnd: { type: 'timestamp', required: true, maxLength: 64 },
  EffectiveCost: { type: 'decimal', required: true },
  ListCost: { type: 'decimal', required: true },
  ServiceCategory: { type: 'text', required: true, maxLength: DIMENSION },
  ServiceName: { type: 'text', required: true, maxLength: DIMENSION },
  /** Deprecated in 1.3, removed in 1.4: ServiceProviderName replaces it. One of the two must be present. */
  ProviderName: { type: 'text', maxLength: DIMENSION },
  ServiceProviderName: { type: 'text', maxLength: DIMENSION, since: '1.3' },
  HostProviderName: { type: 'text', maxLength: DIMENSION, since: '1.3' },
  InvoiceIssuerName: { type: 'text', maxLength: DIMENSION },
  BillingAccountName: { type: 'text', maxLength: DIMENSION },
  SubAccountId: { type: 'text', maxLength: DIMENSION },
  SubAccountName: { type: 'text', maxLength: DIMENSION },
  RegionId: { type: 'text', maxLength: DIMENSION },
  RegionName: { type: 'text', maxLength: DIMENSION },
  ConsumedQuantity: { type: 'decimal' },
  ConsumedUnit: { type: 'text', maxLength: DIMENSION },
  Tags: { type: 'json', maxLength: 65_536 },
  CommitmentDiscountStatus: { type: 'text', maxLength: 64 },
  ResourceType: { type: 'text', maxLength: 4096 },
  SkuId: { type: 'text', maxLength: 4096 },
  ChargeDescription: { type: 'text', maxLength: 4096 },
  /** Provider-calculated split cost allocation (1.3): set on allocated charges only. */
  AllocatedMethodId: { type: 'text', maxLength: 4096, since: '1.3' },
  AllocatedResourceId: { type: 'text', maxLength: 4096, since: '1.3' },
  AllocatedTags: { type: 'json', maxLength: 65_536, since: '1.3' },
} as const satisfies Record<string, FocusColumnSpec>;

/** @public */
export type FocusColumn = keyof typeof FOCUS_COLUMN_SPECS;

/**
 * Columns every accepted export must have: mandatory in FOCUS 1.0 to 1.4. Besides them, the provider must be named
 * by ServiceProviderName (1.3 on) or ProviderName (1.0 to 1.3): {@link FOCUS_PROVIDER_COLUMNS}.
 *
 * @public
 */
export const FOCUS_REQUIRED_COLUMNS = (
  Object.keys(FOCUS_COLUMN_SPECS) as FocusColumn[]
).filter(c => (FOCUS_COLUMN_SPECS[c] as FocusColumnSpec).required);

/**
 * The columns naming the provider, the first present wins: 1.3 renamed ProviderName to ServiceProviderName (and
 * added HostProviderName), 1.4 removed ProviderName.
 *
 * @public
 */
export const FOCUS_PROVIDER_COLUMNS = [
  'ServiceProviderName',
  'ProviderName',
] as const;

/**
 * Columns Forge reads when present; a missing column or the literal NULL means no value.
 *
 * @public
 */
export const FOCUS_OPTIONAL_COLUMNS = (
  Object.keys(FOCUS_COLUMN_SPECS) as FocusColumn[]
).filter(c => !(FOCUS_COLUMN_SPECS[c] as FocusColumnSpec).required);

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
 * The ServiceCategory values of FOCUS 1.0 to 1.2 (Forge accepts others, as providers and later versions add them).
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
export type FocusVersion = '1.0' | '1.1' | '1.2' | '1.3' | '1.4';

/**
 * Columns of the Contract Commitment dataset (FOCUS 1.3) that the Cost and Usage dataset does not have: a file
 * holding them and none of the cost columns is that dataset, which Forge does not ingest.
 *
 * @public
 */
export const FOCUS_CONTRACT_COMMITMENT_COLUMNS = [
  'ContractCommitmentId',
  'ContractCommitmentCategory',
  'ContractCommitmentPeriodStart',
  'ContractCommitmentPeriodEnd',
] as const;

/**
 * The FOCUS version of an export, from the columns that version introduced (or, for 1.4, removed).
 *
 * @public
 */
export function detectFocusVersion(columns: readonly string[]): FocusVersion {
  const names = new Set(columns.map(c => c.toLowerCase()));
  const has = (...candidates: string[]) =>
    candidates.some(n => names.has(n.toLowerCase()));
  if (
    has(
      'ServiceProviderName',
      'HostProviderName',
      'AllocatedMethodId',
      'ContractApplied',
    )
  ) {
    // 1.4 removed ProviderName and PublisherName, which 1.3 still carries (deprecated).
    return has('ProviderName', 'PublisherName') ? '1.3' : '1.4';
  }
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
