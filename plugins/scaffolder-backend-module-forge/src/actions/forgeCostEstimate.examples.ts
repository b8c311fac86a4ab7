import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Estimate a GPU training job that runs 120 hours a month, with MLflow tracking and storage',
    example: yaml.stringify({
      steps: [
        {
          id: 'estimate',
          action: 'forge:cost:estimate',
          name: 'Estimate monthly cost',
          input: {
            owner: 'group:default/retention-analytics',
            compute: [
              {
                name: 'training',
                profile: 'large',
                hoursPerMonth: 120,
                gpuType: 'nvidia-t4',
                gpuCount: 1,
              },
            ],
            storage: [{ class: 'object', sizeGi: 200 }],
            services: ['mlflow-tracking'],
          },
        },
      ],
    }),
  },
  {
    description: 'Estimate an always-on model service with two replicas',
    example: yaml.stringify({
      steps: [
        {
          id: 'estimate',
          action: 'forge:cost:estimate',
          name: 'Estimate monthly cost',
          input: {
            owner: 'fraud-science',
            compute: [{ name: 'serving', profile: 'medium', replicas: 2 }],
            services: ['model-monitoring'],
          },
        },
      ],
    }),
  },
];
