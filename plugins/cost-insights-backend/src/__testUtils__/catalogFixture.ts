import { Entity } from '@backstage/catalog-model';

function group(
  name: string,
  parent: string | undefined,
  children: string[],
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'team', ...(parent ? { parent } : {}), children },
  };
}

function component(
  name: string,
  owner: string,
  annotations: Record<string, string>,
  type = 'service',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', title: name, annotations },
    spec: { type, lifecycle: 'production', owner },
  };
}

/**
 * A small organisation shaped like the demo one: a department with two teams, components claiming billing tags
 * (one of them a tag that occurs in the real FOCUS sample), budgets on a group and a component.
 */
export const testCatalogEntities: Entity[] = [
  group('meridian', undefined, ['data-analytics', 'ml-platform']),
  group('data-analytics', 'meridian', ['customer-analytics', 'pricing'], {
    'forge.io/monthly-budget': '60000',
  }),
  group('customer-analytics', 'data-analytics', [], {
    'forge.io/monthly-budget': '1000',
  }),
  group('pricing', 'data-analytics', []),
  group('ml-platform', 'meridian', []),
  component(
    'lapse-report-legacy',
    'group:default/customer-analytics',
    { 'forge.io/cost-tags': 'application=BrightPathMatrix' },
    'data-pipeline',
  ),
  component(
    'churn-model',
    'customer-analytics',
    {
      'forge.io/cost-tags': 'forge-project=churn-model',
      'forge.io/monthly-budget': '4200',
      'forge.io/gpu-quota': '2',
    },
    'ml-pipeline',
  ),
  component(
    'pricing-workspace',
    'group:default/pricing',
    {
      'forge.io/cost-tags': 'forge-project=pricing-workspace',
      'forge.io/gpu-quota': '1',
    },
    'workspace',
  ),
  component('broken-tags', 'pricing', { 'forge.io/cost-tags': 'nonsense' }),
  component('feature-store', 'ml-platform', {}),
];

/** The catalog after an attribution rule change: the feature store claims a billing tag. */
export const testCatalogAfterRuleChange: Entity[] = testCatalogEntities.map(e =>
  e.metadata.name === 'feature-store'
    ? {
        ...e,
        metadata: {
          ...e.metadata,
          annotations: { 'forge.io/cost-tags': 'cost-center=CC-9' },
        },
      }
    : e,
);
