import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SwappableComponentBlueprint } from '@backstage/plugin-app-react';
import { TemplateCard } from '@backstage/plugin-scaffolder-react/alpha';

const templateCard = SwappableComponentBlueprint.make({
  name: 'forge-template-card',
  params: define =>
    define({
      component: TemplateCard,
      loader: () =>
        import('./ForgeTemplateCard').then(m => m.ForgeTemplateCard),
    }),
});

/** The Create page's template card with a named link to the template's page (see ForgeTemplateCard). */
export const scaffolderModule = createFrontendModule({
  pluginId: 'app',
  extensions: [templateCard],
});
