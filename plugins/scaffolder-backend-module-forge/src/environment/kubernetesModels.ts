// kubernetes-models ships ES modules only, and its export map offers just the `import` condition, so a compiled
// `import` (a CommonJS require) of 'kubernetes-models/v1' is refused. Node 22 can require() an ES module by file
// path, which keeps validation synchronous; the package's own files are located through its package.json.
import path from 'node:path';

type Core = typeof import('kubernetes-models/v1');
type Apps = typeof import('kubernetes-models/apps/v1');
type Batch = typeof import('kubernetes-models/batch/v1');
type Networking = typeof import('kubernetes-models/networking.k8s.io/v1');
type Rbac = typeof import('kubernetes-models/rbac.authorization.k8s.io/v1');
type Policy = typeof import('kubernetes-models/policy/v1');
type Autoscaling = typeof import('kubernetes-models/autoscaling/v2');

const root = path.dirname(require.resolve('kubernetes-models/package.json'));

function load<T>(group: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(root, group, 'index.js')) as T;
}

export const k8s = {
  core: load<Core>('v1'),
  apps: load<Apps>('apps/v1'),
  batch: load<Batch>('batch/v1'),
  networking: load<Networking>('networking.k8s.io/v1'),
  rbac: load<Rbac>('rbac.authorization.k8s.io/v1'),
  policy: load<Policy>('policy/v1'),
  autoscaling: load<Autoscaling>('autoscaling/v2'),
};
