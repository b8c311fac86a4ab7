import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { urlReaderFactoriesServiceRef } from '@backstage/backend-defaults/urlReader';
import { createRepositoriesRouter } from './createRepositoriesRouter';
import { LocalGitRepositories } from './LocalGitRepositories';
import { LocalRepositoryUrlReader } from './LocalRepositoryUrlReader';

/** `/api/repositories`: the embedded default's local git repositories, read-only, for the repository page. */
export const localRepositoriesPlugin = createBackendPlugin({
  pluginId: 'repositories',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
      },
      async init({ config, httpRouter, httpAuth }) {
        httpRouter.use(
          createRepositoriesRouter({
            repositories: LocalGitRepositories.fromConfig(config),
            httpAuth,
          }),
        );
      },
    });
  },
});

/** Lets every plugin's URL reader (catalog, TechDocs) read the local repositories at the URLs the portal serves them on. */
export const localRepositoriesUrlReader = createServiceFactory({
  service: urlReaderFactoriesServiceRef,
  deps: {},
  async factory() {
    return LocalRepositoryUrlReader.factory;
  },
});
