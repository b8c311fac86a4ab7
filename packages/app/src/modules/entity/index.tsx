import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';

const dataGovernanceCard = EntityCardBlueprint.make({
  name: 'data-governance',
  params: {
    type: 'info',
    filter: entity =>
      Boolean(entity.metadata.annotations?.['forge.io/data-classification']),
    loader: () =>
      import('./DataGovernanceCard').then(m => <m.DataGovernanceCard />),
  },
});

/** Entity page additions that belong to the app rather than to one Forge plugin. */
export const entityModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [dataGovernanceCard],
});
