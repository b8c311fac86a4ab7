// kubernetes-models ships ES modules only, and its export maps offer just the `import` condition, so a compiled
// `import` (a CommonJS require) of 'kubernetes-models/v1' is refused. Node 22 can require() an ES module, which keeps
// validation synchronous. The require used here is Node's own, taken from process.getBuiltinModule: under Jest the
// module-scoped require is Jest's, whose resolver asks for the `require` condition and so cannot find
// @kubernetes-models/base and the other dependencies the package imports.
import type NodeModule from 'node:module';

type Core = typeof import('kubernetes-models/v1');
type Apps = typeof import('kubernetes-models/apps/v1');
type Batch = typeof import('kubernetes-models/batch/v1');
type Networking = typeof import('kubernetes-models/networking.k8s.io/v1');
type Rbac = typeof import('kubernetes-models/rbac.authorization.k8s.io/v1');
type Policy = typeof import('kubernetes-models/policy/v1');
type Autoscaling = typeof import('kubernetes-models/autoscaling/v2');

const nodeRequire = (
  process.getBuiltinModule('node:module') as typeof NodeModule
).createRequire(__filename);
const root = nodeRequire
  .resolve('kubernetes-models/package.json')
  .replace(/package\.json$/, '');

function load<T>(group: string): T {
  return nodeRequire(`${root}${group}/index.js`) as T;
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
