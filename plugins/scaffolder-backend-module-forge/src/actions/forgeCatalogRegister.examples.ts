import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Register the project forge:publish published',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'forge:catalog:register',
          name: 'Register in the catalog',
          input: { catalogInfoUrl: '${{ steps.publish.output.catalogInfoUrl }}' },
        },
      ],
    }),
  },
];
