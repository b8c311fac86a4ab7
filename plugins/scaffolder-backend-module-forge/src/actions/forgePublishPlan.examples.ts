import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Find out where a project and its environment request will be published',
    example: yaml.stringify({
      steps: [
        {
          id: 'destination',
          action: 'forge:publish:plan',
          name: 'Plan publishing',
          input: { name: 'churn-model', owner: 'group:default/retention-analytics' },
        },
      ],
    }),
  },
];
