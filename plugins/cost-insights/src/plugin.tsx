import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { Entity } from '@backstage/catalog-model';
import { COST_ANNOTATIONS } from '@internal/plugin-cost-insights-common';
import MonetizationOnIcon from '@material-ui/icons/MonetizationOn';
import { costApiRef, CostClient } from './api';
import { rootRouteRef } from './routes';

/** Components that declare their cost: billing tags, a budget or a cost center. */
function declaresCost(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return [
    COST_ANNOTATIONS.costTags,
    COST_ANNOTATIONS.monthlyBudget,
    COST_ANNOTATIONS.costCenter,
  ].some(a => annotations[a] !== undefined);
}

const isComponent = (entity: Entity) =>
  entity.kind.toLowerCase() === 'component';

const costApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: costApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new CostClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The cost card beside the compliance scorecard on every Component; it stays hidden on components that neither
 * declare cost nor have any attributed (through a configured tag or sub-account).
 */
const entityCostCard = EntityCardBlueprint.make({
  name: 'cost',
  params: {
    type: 'info',
    filter: isComponent,
    loader: () =>
      import('./components/EntityCostCard').then(m => <m.EntityCostCard />),
  },
});

const entityCostContent = EntityContentBlueprint.make({
  name: 'cost',
  params: {
    path: 'cost',
    title: 'Cost',
    filter: entity => isComponent(entity) && declaresCost(entity),
    loader: () =>
      import('./components/EntityCostContent').then(m => (
        <m.EntityCostContent />
      )),
  },
});

const groupCostContent = EntityContentBlueprint.make({
  name: 'group-cost',
  params: {
    path: 'cost',
    title: 'Cost',
    filter: entity => entity.kind.toLowerCase() === 'group',
    loader: () =>
      import('./components/GroupCostContent').then(m => <m.GroupCostContent />),
  },
});

const costOverviewPage = PageBlueprint.make({
  params: {
    path: '/cost',
    routeRef: rootRouteRef,
    title: 'Cost',
    icon: <MonetizationOnIcon />,
    loader: () =>
      import('./components/CostOverviewPage').then(m => <m.CostOverviewPage />),
  },
});

/**
 * Forge cost insights in the portal: the cost card and Cost tab on components, the Cost tab on teams, and the
 * organisation overview at /cost.
 *
 * @public
 */
export const costInsightsPlugin = createFrontendPlugin({
  pluginId: 'cost-insights',
  title: 'Cost',
  icon: <MonetizationOnIcon />,
  routes: { root: rootRouteRef },
  extensions: [
    costApi,
    entityCostCard,
    entityCostContent,
    groupCostContent,
    costOverviewPage,
  ],
});
