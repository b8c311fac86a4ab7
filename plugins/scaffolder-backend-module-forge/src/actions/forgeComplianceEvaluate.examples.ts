import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Gate the catalog-info.yaml and environment request rendered earlier in the task',
    example: yaml.stringify({
      steps: [
        {
          id: 'gate',
          action: 'forge:compliance:evaluate',
          name: 'Compliance gate',
          input: {
            entityPath: 'catalog-info.yaml',
            environmentPath: 'environment',
          },
        },
      ],
    }),
  },
  {
    description: 'Gate with the cost estimate, so spend above the group threshold asks for an approval',
    example: yaml.stringify({
      steps: [
        {
          id: 'gate',
          action: 'forge:compliance:evaluate',
          name: 'Compliance gate',
          input: {
            entityPath: 'catalog-info.yaml',
            environmentPath: 'environment',
            cost: {
              approvalRequired: false,
              monthlyTotal: 420,
              approvalThreshold: 1500,
              currency: 'EUR',
            },
            justification: 'Weekly churn model retraining for the renewal campaign',
            parameters: { name: 'churn-model', region: 'eu-west-1' },
          },
        },
      ],
    }),
  },
];
