import {
  addDays,
  dayOfWeek,
  startOfMonth,
  startOfNextMonth,
} from '@internal/plugin-cost-insights-common';
import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';

/** FOCUS 1.1 columns the demo export carries (ServiceSubcategory marks it 1.1). */
export const DEMO_FOCUS_COLUMNS = [
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'CommitmentDiscountStatus',
  'ConsumedQuantity',
  'ConsumedUnit',
  'EffectiveCost',
  'ListCost',
  'ProviderName',
  'PublisherName',
  'InvoiceIssuerName',
  'RegionId',
  'RegionName',
  'ResourceId',
  'ResourceType',
  'ServiceCategory',
  'ServiceSubcategory',
  'ServiceName',
  'SkuId',
  'SubAccountId',
  'SubAccountName',
  'Tags',
] as const;

export type DemoFocusRow = Record<(typeof DEMO_FOCUS_COLUMNS)[number], string>;

export type DemoOptions = {
  /** The last day generated (the current date when loaded on first start). */
  endDay: string;
  days: number;
  seed: number;
};

type Account = {
  provider: 'AWS' | 'Microsoft' | 'Google Cloud';
  billingAccountId: string;
  billingAccountName: string;
  subAccountId: string;
  subAccountName: string;
  region: string;
  regionName: string;
};

const AWS = {
  provider: 'AWS' as const,
  billingAccountId: '481516234200',
  billingAccountName: 'Meridian Mutual AWS',
};
const AZURE = {
  provider: 'Microsoft' as const,
  billingAccountId: '/providers/Microsoft.Billing/billingAccounts/meridian-ea',
  billingAccountName: 'Meridian Mutual EA',
};
const GCP = {
  provider: 'Google Cloud' as const,
  billingAccountId: '01A2B3-C4D5E6-F7G8H9',
  billingAccountName: 'Meridian Mutual GCP',
};

/** Accounts of the demo organisation; `ml-shared` is mapped to the ML Platform group in app-config.yaml. */
export const DEMO_ACCOUNTS = {
  awsData: {
    ...AWS,
    subAccountId: '111122223333',
    subAccountName: 'data-prod',
    region: 'eu-west-1',
    regionName: 'Europe (Ireland)',
  },
  awsMl: {
    ...AWS,
    subAccountId: '444455556666',
    subAccountName: 'ml-prod',
    region: 'eu-west-1',
    regionName: 'Europe (Ireland)',
  },
  awsMlShared: {
    ...AWS,
    subAccountId: '777788889999',
    subAccountName: 'ml-shared',
    region: 'eu-central-1',
    regionName: 'Europe (Frankfurt)',
  },
  awsUs: {
    ...AWS,
    subAccountId: '222233334444',
    subAccountName: 'claims-us',
    region: 'us-east-1',
    regionName: 'US East (N. Virginia)',
  },
  azureFraud: {
    ...AZURE,
    subAccountId: '/subscriptions/5f1c2a9e-0d0b-4a53-9c61-fraud0000001',
    subAccountName: 'fraud-analytics',
    region: 'westeurope',
    regionName: 'West Europe',
  },
  gcpPricing: {
    ...GCP,
    subAccountId: 'mm-pricing-sandbox',
    subAccountName: 'mm-pricing-sandbox',
    region: 'europe-west4',
    regionName: 'Netherlands',
  },
} satisfies Record<string, Account>;

/** One line item the generator bills every day. */
type LineItem = {
  /** `forge-project` tag value (or other tags); none for untagged spend. */
  tags?: Record<string, string>;
  account: Account;
  serviceCategory: string;
  serviceSubcategory: string;
  serviceName: string;
  resourceType: string;
  skuId: string;
  unit: string;
  /** Price per unit (list); effective is after the account's discount. */
  unitPrice: number;
  /** Units per day: depends on the day's position in the series (0 = first day) and its weekday. */
  units: (t: number, weekday: number, days: number) => number;
  /** Share of the billed units that are an unused commitment (idle reserved capacity). */
  unusedShare?: number;
  description: string;
};

const weekend = (weekday: number) => weekday === 0 || weekday === 6;
const project = (name: string) => ({
  'forge-project': name,
  environment: 'prod',
});

/**
 * What Meridian Mutual runs: GPU training and serving for the ML projects, data pipelines, a feature store,
 * an always-on GPU workspace, a legacy report tagged the old way, and spend nobody tagged.
 */
const LINE_ITEMS: LineItem[] = [
  // churn-model: weekday GPU training on SageMaker (T4), a reservation partly unused, plus storage.
  {
    tags: project('churn-model'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'AI and Machine Learning',
    serviceSubcategory: 'Machine Learning',
    serviceName: 'Amazon SageMaker',
    resourceType: 'ml.g4dn.xlarge',
    skuId: 'SM-G4DN-XL-TRAIN',
    unit: 'Hours',
    unitPrice: 0.94,
    units: (_t, wd) => (weekend(wd) ? 24 : 150),
    unusedShare: 0.12,
    description: 'ml.g4dn.xlarge training (NVIDIA T4 GPU) in EU (Ireland)',
  },
  {
    tags: project('churn-model'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'Storage',
    serviceSubcategory: 'Object Storage',
    serviceName: 'Amazon Simple Storage Service',
    resourceType: 'Bucket',
    skuId: 'S3-STD-GB',
    unit: 'GB-Hours',
    unitPrice: 0.023 / 730,
    units: t => 24 * (4200 + 18 * t),
    description: 'S3 Standard storage in EU (Ireland)',
  },
  {
    tags: project('churn-model'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'Compute',
    serviceSubcategory: 'Virtual Machines',
    serviceName: 'Amazon Elastic Compute Cloud',
    resourceType: 'm6i.2xlarge',
    skuId: 'EC2-M6I-2XL',
    unit: 'Hours',
    unitPrice: 0.428,
    units: (_t, wd) => (weekend(wd) ? 24 : 36),
    description: 'm6i.2xlarge feature preparation',
  },
  // fraud-scoring-service: always-on L4 GPU inference, growing slowly; data transfer (the spike comes from here).
  {
    tags: project('fraud-scoring-service'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'Compute',
    serviceSubcategory: 'Virtual Machines',
    serviceName: 'Amazon Elastic Compute Cloud',
    resourceType: 'g6.2xlarge',
    skuId: 'EC2-G6-2XL',
    unit: 'Hours',
    unitPrice: 0.978,
    units: (t, _wd, days) => 24 * 7 * (1 + (0.35 * t) / days),
    description: 'g6.2xlarge inference (NVIDIA L4 GPU), KServe node pool',
  },
  {
    tags: project('fraud-scoring-service'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'Networking',
    serviceSubcategory: 'Network Connectivity',
    serviceName: 'AWS Data Transfer',
    resourceType: 'DataTransfer',
    skuId: 'DT-OUT-EU',
    unit: 'GB',
    unitPrice: 0.09,
    units: (_t, wd) => (weekend(wd) ? 260 : 420),
    description: 'Data transfer out of EU (Ireland)',
  },
  // claims-fraud-features: nightly Spark on Azure Databricks, weekdays heavier.
  {
    tags: project('claims-fraud-features'),
    account: DEMO_ACCOUNTS.azureFraud,
    serviceCategory: 'Analytics',
    serviceSubcategory: 'Data Processing',
    serviceName: 'Azure Databricks',
    resourceType: 'Standard_DS4_v2',
    skuId: 'DBU-JOBS-PREMIUM',
    unit: 'DBU-Hours',
    unitPrice: 0.3,
    units: (_t, wd) => (weekend(wd) ? 90 : 330),
    description: 'Jobs Compute Premium DBU',
  },
  {
    tags: project('claims-fraud-features'),
    account: DEMO_ACCOUNTS.azureFraud,
    serviceCategory: 'Storage',
    serviceSubcategory: 'Object Storage',
    serviceName: 'Storage',
    resourceType: 'StorageAccount',
    skuId: 'ADLS-GEN2-HOT',
    unit: 'GB-Months',
    unitPrice: 0.0208,
    units: t => (2600 + 10 * t) / 30,
    description: 'ADLS Gen2 hot storage',
  },
  // pricing-glm-training: A100 training runs on Mondays, Wednesdays and Fridays, growing over the last six weeks.
  {
    tags: project('pricing-glm-training'),
    account: DEMO_ACCOUNTS.gcpPricing,
    serviceCategory: 'AI and Machine Learning',
    serviceSubcategory: 'Machine Learning',
    serviceName: 'Vertex AI',
    resourceType: 'a2-highgpu-1g',
    skuId: 'VTX-A2-HIGHGPU-1G',
    unit: 'Hours',
    unitPrice: 4.05,
    units: (t, wd, days) => {
      const growth = 1 + 1.6 * Math.max(0, (t - (days - 42)) / 42);
      const hours: Record<number, number> = { 1: 90, 3: 90, 5: 45 };
      return growth * (hours[wd] ?? 10);
    },
    description: 'Vertex AI custom training, a2-highgpu-1g (NVIDIA A100)',
  },
  // pricing-workspace: a T4 workspace that nobody stops at weekends.
  {
    tags: project('pricing-workspace'),
    account: DEMO_ACCOUNTS.gcpPricing,
    serviceCategory: 'Compute',
    serviceSubcategory: 'Virtual Machines',
    serviceName: 'Compute Engine',
    resourceType: 'n1-standard-8 + nvidia-tesla-t4',
    skuId: 'GCE-GPU-T4',
    unit: 'Hours',
    unitPrice: 0.35 + 0.38,
    units: () => 24 * 4,
    description: 'Workbench instances with NVIDIA Tesla T4',
  },
  {
    tags: project('pricing-workspace'),
    account: DEMO_ACCOUNTS.gcpPricing,
    serviceCategory: 'Storage',
    serviceSubcategory: 'Block Storage',
    serviceName: 'Compute Engine',
    resourceType: 'pd-ssd',
    skuId: 'GCE-PD-SSD',
    unit: 'GB-Hours',
    unitPrice: 0.17 / 730,
    units: () => 24 * 2000,
    description: 'SSD persistent disk',
  },
  // retention-dbt: warehouse queries, weekdays.
  {
    tags: project('retention-dbt'),
    account: DEMO_ACCOUNTS.awsData,
    serviceCategory: 'Analytics',
    serviceSubcategory: 'Data Warehouse',
    serviceName: 'Amazon Redshift',
    resourceType: 'ra3.xlplus',
    skuId: 'RS-RA3-XLPLUS',
    unit: 'Hours',
    unitPrice: 1.086,
    units: (_t, wd) => (weekend(wd) ? 8 : 56),
    description: 'Redshift ra3.xlplus node hours',
  },
  // lapse-report-legacy: tagged the pre-Forge way, claimed through forge.io/cost-tags application=BrightPathMatrix.
  {
    tags: { application: 'BrightPathMatrix', business_unit: 'PeoriaData' },
    account: DEMO_ACCOUNTS.awsData,
    serviceCategory: 'Databases',
    serviceSubcategory: 'Relational Databases',
    serviceName: 'Amazon Relational Database Service',
    resourceType: 'db.r6g.large',
    skuId: 'RDS-R6G-L',
    unit: 'Hours',
    unitPrice: 0.258,
    units: () => 24 * 4,
    description: 'RDS PostgreSQL db.r6g.large',
  },
  // feature-store-service: Feast on ElastiCache and DynamoDB.
  {
    tags: project('feature-store-service'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'Databases',
    serviceSubcategory: 'Caching',
    serviceName: 'Amazon ElastiCache',
    resourceType: 'cache.r6g.xlarge',
    skuId: 'EC-R6G-XL',
    unit: 'Hours',
    unitPrice: 0.411,
    units: () => 24 * 12,
    description: 'ElastiCache Redis cache.r6g.xlarge',
  },
  {
    tags: project('feature-store-service'),
    account: DEMO_ACCOUNTS.awsMl,
    serviceCategory: 'Databases',
    serviceSubcategory: 'NoSQL Databases',
    serviceName: 'Amazon DynamoDB',
    resourceType: 'Table',
    skuId: 'DDB-RRU',
    unit: 'ReadRequestUnits',
    unitPrice: 0.25 / 1e6,
    units: (_t, wd) => (weekend(wd) ? 2.2e8 : 3.1e8),
    description: 'DynamoDB on-demand read request units',
  },
  // The shared ML sub-account: untagged, attributed to ML Platform by the sub-account mapping.
  {
    account: DEMO_ACCOUNTS.awsMlShared,
    serviceCategory: 'Compute',
    serviceSubcategory: 'Containers',
    serviceName: 'Amazon Elastic Kubernetes Service',
    resourceType: 'Cluster',
    skuId: 'EKS-CLUSTER',
    unit: 'Hours',
    unitPrice: 0.1,
    units: () => 24 * 3,
    description: 'EKS control plane',
  },
  {
    account: DEMO_ACCOUNTS.awsMlShared,
    serviceCategory: 'Compute',
    serviceSubcategory: 'Virtual Machines',
    serviceName: 'Amazon Elastic Compute Cloud',
    resourceType: 'm6i.4xlarge',
    skuId: 'EC2-M6I-4XL',
    unit: 'Hours',
    unitPrice: 0.856,
    units: () => 24 * 7,
    description: 'm6i.4xlarge shared node pool',
  },
  // Untagged spend nobody claims.
  {
    account: DEMO_ACCOUNTS.awsData,
    serviceCategory: 'Management and Governance',
    serviceSubcategory: 'Observability',
    serviceName: 'Amazon CloudWatch',
    resourceType: 'Logs',
    skuId: 'CW-LOGS-INGEST',
    unit: 'GB',
    unitPrice: 0.57,
    units: (t, _wd, days) => 70 * (1 + (0.3 * t) / days),
    description: 'CloudWatch Logs ingestion',
  },
  {
    account: DEMO_ACCOUNTS.awsData,
    serviceCategory: 'Networking',
    serviceSubcategory: 'Network Connectivity',
    serviceName: 'Amazon Virtual Private Cloud',
    resourceType: 'NatGateway',
    skuId: 'VPC-NAT-HOURS',
    unit: 'Hours',
    unitPrice: 0.048,
    units: () => 24 * 6,
    description: 'NAT Gateway hours',
  },
  {
    account: DEMO_ACCOUNTS.azureFraud,
    serviceCategory: 'Storage',
    serviceSubcategory: 'Backup',
    serviceName: 'Backup',
    resourceType: 'RecoveryServicesVault',
    skuId: 'AZ-BACKUP-GRS',
    unit: 'GB-Months',
    unitPrice: 0.05,
    units: () => 24000 / 30,
    description: 'Azure Backup GRS storage',
  },
  {
    account: DEMO_ACCOUNTS.awsUs,
    serviceCategory: 'Compute',
    serviceSubcategory: 'Virtual Machines',
    serviceName: 'Amazon Elastic Compute Cloud',
    resourceType: 't3.large',
    skuId: 'EC2-T3-L',
    unit: 'Hours',
    unitPrice: 0.0832,
    units: () => 24 * 9,
    description: 't3.large instances without tags',
  },
];

/**
 * The billing tags of the demo rows that catalog entities claim (`key=value`): the demo waits for the catalog
 * to know them before it loads.
 */
export function demoBillingTags(): string[] {
  const tags = new Set<string>();
  for (const item of LINE_ITEMS) {
    if (item.tags?.['forge-project'])
      tags.add(`forge-project=${item.tags['forge-project']}`);
    if (item.tags?.application)
      tags.add(`application=${item.tags.application}`);
  }
  return [...tags].sort();
}

/** Discounts off list price per provider (negotiated rates), so effective and list cost differ. */
const DISCOUNT: Record<Account['provider'], number> = {
  AWS: 0.12,
  Microsoft: 0.08,
  'Google Cloud': 0.1,
};

/** The one clear anomaly: fraud-scoring-service's data transfer, four days before the end. */
const SPIKE = { daysBeforeEnd: 4, skuId: 'DT-OUT-EU', factor: 14 };

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const money = (n: number) => n.toFixed(6);
const timestamp = (day: string) => `${day}T00:00:00Z`;

/**
 * Deterministic FOCUS rows for the demo organisation: one row per line item per day for `days` days ending on
 * `endDay`, from a seeded generator (same options, same rows). Amounts vary by weekday, trend and ±8% noise.
 */
export function* generateDemoFocusRows(
  options: DemoOptions,
): Generator<DemoFocusRow> {
  const random = mulberry32(options.seed);
  const firstDay = addDays(options.endDay, -(options.days - 1));
  for (let t = 0; t < options.days; t++) {
    const day = addDays(firstDay, t);
    const weekday = dayOfWeek(day);
    for (const item of LINE_ITEMS) {
      const noise = 1 + 0.16 * (random() - 0.5);
      let units = item.units(t, weekday, options.days) * noise;
      if (
        item.skuId === SPIKE.skuId &&
        t === options.days - 1 - SPIKE.daysBeforeEnd
      ) {
        units *= SPIKE.factor;
      }
      const list = units * item.unitPrice;
      const effective = list * (1 - DISCOUNT[item.account.provider]);
      const parts: Array<{ share: number; status: string }> = item.unusedShare
        ? [
            { share: 1 - item.unusedShare, status: 'Used' },
            { share: item.unusedShare, status: 'Unused' },
          ]
        : [{ share: 1, status: 'NULL' }];
      for (const part of parts) {
        yield {
          BilledCost: money(effective * part.share),
          BillingAccountId: item.account.billingAccountId,
          BillingAccountName: item.account.billingAccountName,
          BillingCurrency: 'USD',
          BillingPeriodStart: timestamp(startOfMonth(day)),
          BillingPeriodEnd: timestamp(startOfNextMonth(day)),
          ChargeCategory: 'Usage',
          ChargeClass: 'NULL',
          ChargeDescription: item.description,
          ChargeFrequency: 'Usage-Based',
          ChargePeriodStart: timestamp(day),
          ChargePeriodEnd: timestamp(addDays(day, 1)),
          CommitmentDiscountStatus: part.status,
          ConsumedQuantity: (units * part.share).toFixed(6),
          ConsumedUnit: item.unit,
          EffectiveCost: money(effective * part.share),
          ListCost: money(list * part.share),
          ProviderName: item.account.provider,
          PublisherName: item.account.provider,
          InvoiceIssuerName: item.account.provider,
          RegionId: item.account.region,
          RegionName: item.account.regionName,
          ResourceId:
            `${item.account.subAccountId}/${item.resourceType}/${item.skuId}`.toLowerCase(),
          ResourceType: item.resourceType,
          ServiceCategory: item.serviceCategory,
          ServiceSubcategory: item.serviceSubcategory,
          ServiceName: item.serviceName,
          SkuId: item.skuId,
          SubAccountId: item.account.subAccountId,
          SubAccountName: item.account.subAccountName,
          Tags: item.tags ? JSON.stringify(item.tags) : 'NULL',
        };
      }
    }
  }
}

/** The demo rows as a FOCUS CSV export, streamed. */
export function demoFocusCsv(options: DemoOptions): Readable {
  const rows = generateDemoFocusRows(options);
  return Readable.from(
    (function* records() {
      yield [...DEMO_FOCUS_COLUMNS];
      for (const row of rows) yield DEMO_FOCUS_COLUMNS.map(c => row[c]);
    })(),
  ).pipe(stringify());
}
