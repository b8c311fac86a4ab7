import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Plan the environment of a GPU training pipeline reading two data sources',
    example: yaml.stringify({
      steps: [
        {
          id: 'environment',
          action: 'forge:environment:plan',
          name: 'Plan the environment request',
          input: {
            name: 'churn-model',
            owner: 'group:default/retention-analytics',
            system: 'system:default/customer-retention',
            blueprint: 'ml-training-pipeline@1.0.0',
            region: 'eu-west-1',
            dataSources: ['resource:default/policyholder-dataset', 'resource:default/mlflow-registry'],
            profile: 'large',
            gpuType: 'nvidia-t4',
            gpuCount: 1,
            storageGi: 200,
            workload: { kind: 'batch', metricsPort: 8080 },
          },
        },
      ],
    }),
  },
  {
    description: 'Plan a model service with an ingress gateway and SLO alerts',
    example: yaml.stringify({
      steps: [
        {
          id: 'environment',
          action: 'forge:environment:plan',
          name: 'Plan the environment request',
          input: {
            name: 'fraud-scorer',
            owner: 'group:default/fraud-science',
            system: 'system:default/fraud-detection',
            blueprint: 'ml-model-serving@1.0.0',
            classification: 'confidential',
            region: 'eu-central-1',
            dataSources: ['resource:default/fraud-feature-store'],
            profile: 'medium',
            replicas: 2,
            workload: {
              kind: 'service',
              metricsPort: 8080,
              ingressFromNamespaces: ['istio-system', 'knative-serving'],
              ingressPort: 8080,
            },
            slo: { availability: 0.995, latencyP95Ms: 300 },
          },
        },
      ],
    }),
  },
];
