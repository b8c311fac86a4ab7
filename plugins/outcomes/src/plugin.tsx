import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import TrendingUpIcon from '@material-ui/icons/TrendingUp';
import { OutcomesClient, outcomesApiRef } from './api';
import { rootRouteRef } from './routes';

const outcomesApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: outcomesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new OutcomesClient({ discoveryApi, fetchApi }),
    }),
});

const outcomesPage = PageBlueprint.make({
  params: {
    path: '/outcomes',
    routeRef: rootRouteRef,
    title: 'Outcomes',
    icon: <TrendingUpIcon />,
    loader: () =>
      import('./components/OutcomesPage').then(m => <m.OutcomesPage />),
  },
});

/** The satisfaction question on a new project's page; it renders nothing unless its creator has yet to answer. */
const satisfactionCard = EntityCardBlueprint.make({
  name: 'satisfaction',
  params: {
    filter: entity => entity.kind.toLowerCase() === 'component',
    loader: () =>
      import('./components/SatisfactionCard').then(m => <m.SatisfactionCard />),
  },
});

/**
 * The platform's own outcomes at /outcomes, and the satisfaction question on the page of each new project.
 *
 * @public
 */
export const outcomesPlugin = createFrontendPlugin({
  pluginId: 'outcomes',
  title: 'Outcomes',
  icon: <TrendingUpIcon />,
  routes: { root: rootRouteRef },
  extensions: [outcomesApi, outcomesPage, satisfactionCard],
});
