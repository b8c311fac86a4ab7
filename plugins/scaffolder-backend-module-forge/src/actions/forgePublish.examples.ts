import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Publish the rendered project repository',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish',
          action: 'forge:publish',
          name: 'Publish the project',
          input: {
            target: 'project',
            name: 'churn-model',
            owner: 'group:default/retention-analytics',
            description: 'Predicts which policyholders lapse at renewal.',
          },
        },
      ],
    }),
  },
  {
    description: 'Send the environment request to the GitOps repository',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish-environment',
          action: 'forge:publish',
          name: 'Request the environment',
          input: {
            target: 'environment-request',
            name: 'churn-model',
            owner: 'group:default/retention-analytics',
            sourcePath: 'environment',
            description: 'Namespace, quota, network policy and storage for churn-model.',
          },
        },
      ],
    }),
  },
];
