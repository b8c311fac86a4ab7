import {
  coreServices,
  createServiceFactory,
  HttpRouterService,
} from '@backstage/backend-plugin-api';
import {
  ActionsRegistryService,
  actionsRegistryServiceRef,
} from '@backstage/backend-plugin-api/alpha';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';

/**
 * Every entry point the plugins of a test backend really register, whatever way their code spells it: each
 * handler handed to `httpRouter.use` (walked down to its routes) and each action registered with the actions
 * registry. The permission matrix is checked against this list, so a route added through a sub-router, a
 * template-literal path or `router.route(...)` is found as surely as a plain `router.get('/x')`.
 */
export class RegisteredEntryPoints {
  private readonly handlers: Array<{ pluginId: string; handler: unknown }> = [];
  private readonly actions: string[] = [];

  addHandler(pluginId: string, handler: unknown) {
    this.handlers.push({ pluginId, handler });
  }

  addAction(pluginId: string, name: string) {
    this.actions.push(`action ${pluginId}:${name}`);
  }

  /** `GET /api/<plugin>/<path>` for each route, `action <plugin>:<name>` for each action. */
  list(): string[] {
    const routes = this.handlers.flatMap(({ pluginId, handler }) =>
      routesOf(handler, '').map(
        ({ method, path }) => `${method} /api/${pluginId}${path}`,
      ),
    );
    return [...new Set([...routes, ...this.actions])].sort();
  }
}

type Layer = {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  regexp?: RegExp & { fast_slash?: boolean };
};

/**
 * The routes of an Express 4 router and the routers mounted in it. A router mounted under a path (`use('/x',
 * sub)`) cannot be named back from Express's regexp reliably; it is listed as `USE <regexp>` so that the matrix
 * test fails and names it, rather than missing its routes.
 */
function routesOf(
  handler: unknown,
  prefix: string,
): Array<{ method: string; path: string }> {
  const stack = (handler as { stack?: Layer[] }).stack;
  if (!Array.isArray(stack)) return [];
  return stack.flatMap(layer => {
    if (layer.route) {
      return Object.keys(layer.route.methods)
        .filter(m => m !== '_all')
        .map(m => ({
          method: m.toUpperCase(),
          path: `${prefix}${layer.route!.path}`,
        }));
    }
    if (Array.isArray(layer.handle?.stack)) {
      return layer.regexp?.fast_slash
        ? routesOf(layer.handle, prefix)
        : [{ method: 'USE', path: `${prefix} ${String(layer.regexp)}` }];
    }
    return [];
  });
}

type InternalFactory<T> = { factory(deps: unknown, context?: unknown): T };

/**
 * Backstage's own httpRouter and actions registry services, recording what each plugin registers in `entryPoints`
 * on the way through.
 */
export function recordingEntryPointFactories(
  entryPoints: RegisteredEntryPoints,
) {
  const httpRouter = createServiceFactory({
    service: coreServices.httpRouter,
    initialization: 'always',
    deps: {
      plugin: coreServices.pluginMetadata,
      config: coreServices.rootConfig,
      lifecycle: coreServices.lifecycle,
      rootHttpRouter: coreServices.rootHttpRouter,
      auth: coreServices.auth,
      httpAuth: coreServices.httpAuth,
      logger: coreServices.logger,
    },
    async factory(deps): Promise<HttpRouterService> {
      const inner = await (
        httpRouterServiceFactory as unknown as InternalFactory<
          Promise<HttpRouterService>
        >
      ).factory(deps);
      return {
        use(handler) {
          entryPoints.addHandler(deps.plugin.getId(), handler);
          inner.use(handler);
        },
        addAuthPolicy: policy => inner.addAuthPolicy(policy),
        addWebSocketHandler: ((...args: unknown[]) =>
          (inner.addWebSocketHandler as (...a: unknown[]) => unknown)(
            ...args,
          )) as HttpRouterService['addWebSocketHandler'],
      };
    },
  });
  const actionsRegistry = createServiceFactory({
    service: actionsRegistryServiceRef,
    deps: {
      metadata: coreServices.pluginMetadata,
      httpRouter: coreServices.httpRouter,
      httpAuth: coreServices.httpAuth,
      logger: coreServices.logger,
      auth: coreServices.auth,
      config: coreServices.rootConfig,
      permissions: coreServices.permissions,
      permissionsRegistry: coreServices.permissionsRegistry,
    },
    async factory(deps): Promise<ActionsRegistryService> {
      const inner = await (
        actionsRegistryServiceFactory as unknown as InternalFactory<
          ActionsRegistryService | Promise<ActionsRegistryService>
        >
      ).factory(deps);
      return {
        register(options) {
          entryPoints.addAction(deps.metadata.getId(), options.name);
          inner.register(options);
        },
      } as ActionsRegistryService;
    },
  });
  return [httpRouter, actionsRegistry];
}
