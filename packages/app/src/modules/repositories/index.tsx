import {
  createFrontendModule,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';

const repositoryPage = PageBlueprint.make({
  name: 'repositories',
  params: {
    path: '/repositories',
    noHeader: true,
    loader: () => import('./RepositoryPage').then(m => <m.RepositoryPage />),
  },
});

/**
 * `/repositories/<owner>/<name>[/tree|blob/<branch>/<path>]`: the embedded default's local git repositories, what a
 * generated project's Repository, View source and Environment request links open.
 */
export const repositoriesModule = createFrontendModule({
  pluginId: 'app',
  extensions: [repositoryPage],
});
