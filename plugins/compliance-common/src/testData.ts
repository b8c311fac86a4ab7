import fs from 'node:fs';
import path from 'node:path';
import { Entity } from '@backstage/catalog-model';
import { parsePolicyPack } from './packSchema';

/** The baseline pack shipped in policies/, for tests. */
export function loadBaselinePack() {
  const file = path.resolve(__dirname, '../../../policies/baseline.yaml');
  return parsePolicyPack(fs.readFileSync(file, 'utf8'), 'baseline.yaml');
}

/** A project that does everything right, to vary in tests. */
export function compliantProject(
  overrides: Partial<Entity['metadata']> = {},
  spec: Record<string, unknown> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'churn-model',
      description: 'Predicts which policyholders lapse at renewal.',
      annotations: {
        'backstage.io/techdocs-ref': 'dir:.',
        'backstage.io/source-location': 'url:https://git.example/churn-model',
        'forge.io/blueprint': 'ml-training-pipeline@1.0.0',
        'forge.io/data-classification': 'restricted',
        'forge.io/contains-pii': 'true',
        'forge.io/region': 'eu-west-1',
        'forge.io/cost-center': 'CC-4111',
        'forge.io/cost-tags': 'forge-project=churn-model',
        'forge.io/monthly-budget': '4200',
        'forge.io/gpu-profile': 'nvidia-t4',
        'forge.io/gpu-quota': '2',
        'forge.io/model-card': 'docs/model-card.md',
        'forge.io/model-stage': 'Production',
        'forge.io/environment-request':
          'url:https://git.example/gitops/churn-model',
        'forge.io/monitoring': 'prometheus',
      },
      ...overrides,
    },
    spec: {
      type: 'ml-pipeline',
      lifecycle: 'production',
      owner: 'retention-analytics',
      system: 'customer-retention',
      dependsOn: ['resource:policyholder-dataset'],
      ...spec,
    },
  };
}

export const policyholderDataset: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'policyholder-dataset',
    annotations: {
      'forge.io/data-classification': 'restricted',
      'forge.io/contains-pii': 'true',
    },
  },
  spec: { type: 'dataset', owner: 'customer-analytics' },
};

export const environment = {
  groups: [
    'group:default/retention-analytics',
    'group:default/customer-analytics',
  ],
  blueprints: { 'ml-training-pipeline': '1.0.0' },
};

export function freshFacts(now: Date) {
  const at = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
  return [
    {
      name: 'dependency-scan',
      collectedAt: at,
      data: { critical: 0, high: 1 },
    },
    { name: 'secret-scan', collectedAt: at, data: { leaks: 0 } },
    { name: 'ci', collectedAt: at, data: { status: 'passing' } },
  ];
}
