import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Collect the first evidence of a generated project: a secret scan and an SBOM',
    example: yaml.stringify({
      steps: [
        {
          id: 'evidence',
          action: 'forge:evidence:collect',
          name: 'Collect the first compliance evidence',
          input: {
            name: 'churn-model',
            description: 'Predicts which policyholders lapse at renewal.',
          },
        },
      ],
    }),
  },
  {
    description: 'Collect evidence from one folder of the workspace only',
    example: yaml.stringify({
      steps: [
        {
          id: 'evidence',
          action: 'forge:evidence:collect',
          name: 'Collect the first compliance evidence',
          input: { name: 'churn-model', path: 'project' },
        },
      ],
    }),
  },
];
