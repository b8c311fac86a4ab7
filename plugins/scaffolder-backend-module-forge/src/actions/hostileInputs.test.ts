// The hostile-input corpus: every forge:* action refuses path traversal, absolute paths, links in the workspace,
// template-expression injection and oversized values with an InputError that says what is wrong, and writes
// nothing outside the workspace (nor, for a refused input, inside it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalGitPublisher } from '../publish/LocalGitPublisher';
import {
  actionContext,
  demoCatalog,
  InMemoryComplianceGateway,
  projectCatalogInfo,
  RecordingAuditor,
  testSettings,
} from '../__testUtils__';
import { createForgeCatalogRegisterAction } from './forgeCatalogRegister';
import { createForgeComplianceEvaluateAction } from './forgeComplianceEvaluate';
import { createForgeCostEstimateAction } from './forgeCostEstimate';
import { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';
import { createForgePublishAction } from './forgePublish';
import { createForgePublishPlanAction } from './forgePublishPlan';
import { CatalogGroupBudgets } from '../cost/GroupBudgets';

/** Every file below a folder with its size, to prove nothing was added or changed. */
function snapshot(dir: string): Record<string, number> {
  const result: Record<string, number> = {};
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else result[path.relative(dir, full)] = fs.lstatSync(full).size;
    }
  };
  walk(dir);
  return result;
}

const valid = {
  plan: {
    name: 'churn-model',
    owner: 'group:default/retention-analytics',
    system: 'system:default/customer-retention',
    blueprint: 'ml-training-pipeline@1.0.0',
    region: 'eu-west-1',
    dataSources: ['resource:default/policy-events-stream'],
    profile: 'large',
  },
  estimate: { owner: 'group:default/retention-analytics', compute: [{ name: 'training', profile: 'large' }] },
  gate: { entityPath: 'catalog-info.yaml' },
  publish: {
    target: 'project',
    name: 'churn-model',
    owner: 'group:default/retention-analytics',
    description: 'Predicts lapses.',
  },
  publishPlan: { name: 'churn-model', owner: 'group:default/retention-analytics' },
  register: { catalogInfoUrl: 'file:///etc/passwd' },
};

type ActionName = keyof typeof valid;

const CORPUS: Array<[string, ActionName, Record<string, unknown>, RegExp]> = [
  // Paths that leave the workspace.
  ['outputPath with ../', 'plan', { outputPath: '../escaped' }, /outputPath '..\/escaped' points outside the task workspace/],
  ['outputPath climbing through a folder', 'plan', { outputPath: 'environment/../../escaped' }, /points outside the task workspace/],
  ['absolute outputPath', 'plan', { outputPath: '/tmp/forge-escaped' }, /outputPath '\/tmp\/forge-escaped' is an absolute path/],
  ['entityPath to a host file', 'gate', { entityPath: '/etc/passwd' }, /entityPath '\/etc\/passwd' is an absolute path/],
  ['entityPath with ../', 'gate', { entityPath: '../../etc/passwd' }, /points outside the task workspace/],
  ['environmentPath with ../', 'gate', { environmentPath: '..' }, /environmentPath '..\/request.yaml' points outside|environmentPath '..' points outside|points outside the task workspace/],
  ['sourcePath of the workspace parent', 'publish', { sourcePath: '..' }, /sourcePath '..' points outside the task workspace/],
  ['absolute sourcePath', 'publish', { sourcePath: '/' }, /sourcePath '\/' is an absolute path/],
  ['a host file registered from disk', 'register', { catalogInfoUrl: 'file:///etc/passwd' }, /only catalog-info.yaml files of repositories Forge published/],
  // Template-expression injection: values that a later tool would evaluate.
  ['a scaffolder expression in a name', 'plan', { name: '${{ secrets.token }}' }, /name must be lowercase letters/],
  ['a nunjucks expression in a description', 'publish', { description: 'Churn {{ 7*7 }}' }, /description must not contain template expressions/],
  ['a GitHub Actions expression in a description', 'publish', { description: '${{ github.token }}' }, /description must not contain template expressions/],
  ['a Jinja block in a justification', 'gate', { justification: '{% raw %}x{% endraw %}' }, /justification must not contain template expressions/],
  ['a shell expansion in a workload name', 'estimate', { compute: [{ name: '$(whoami)${HOME}', profile: 'large' }] }, /compute.name must not contain template expressions/],
  ['an expression in an owner ref', 'estimate', { owner: 'group:default/x${{y}}' }, /is not a valid group name|is not an entity reference/],
  ['a newline that would add YAML keys', 'publish', { description: 'ok\nkind: Secret' }, /description must be a single line/],
  // Oversized values.
  ['a 10,000 character description', 'publish', { description: 'x'.repeat(10_000) }, /description is longer than 300 characters/],
  ['a 500 character name', 'publishPlan', { name: `a${'b'.repeat(499)}` }, /name is longer than 40 characters/],
  ['1,000 data sources', 'plan', { dataSources: Array.from({ length: 1000 }, (_, i) => `resource:default/r${i}`) }, /at most 20 data sources/],
  ['a 100,000 character justification', 'gate', { justification: 'j'.repeat(100_000) }, /justification is longer than 1000 characters/],
  ['80 parameters', 'gate', { parameters: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`p${i}`, 'v'])) }, /at most 50 parameters/],
  ['a 60-replica workload', 'estimate', { compute: [{ name: 'x', profile: 'large', replicas: 60 }] }, /replicas: Number must be less than or equal to 50/],
  ['a 2,000 character catalogInfoUrl', 'register', { catalogInfoUrl: `https://x/${'a'.repeat(2000)}` }, /catalogInfoUrl: String must contain at most 2000/],
];

describe('hostile inputs', () => {
  let outside: string;
  let workspace: string;
  let dataDir: string;

  beforeEach(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-hostile-'));
    workspace = path.join(outside, 'workspace');
    dataDir = path.join(outside, 'data');
    fs.mkdirSync(workspace);
    fs.mkdirSync(path.join(outside, 'precious'));
    fs.writeFileSync(path.join(outside, 'precious/keep.txt'), 'do not touch');
    fs.writeFileSync(path.join(workspace, 'catalog-info.yaml'), projectCatalogInfo());
  });
  afterEach(() => fs.rmSync(outside, { recursive: true, force: true }));

  function actions() {
    const settings = testSettings({ dataDir });
    const auditor = new RecordingAuditor();
    const catalog = demoCatalog();
    return {
      plan: createForgeEnvironmentPlanAction({ settings, catalog, auditor }),
      estimate: createForgeCostEstimateAction({ settings, budgets: new CatalogGroupBudgets(catalog), auditor }),
      gate: createForgeComplianceEvaluateAction({
        settings,
        catalog,
        compliance: new InMemoryComplianceGateway(),
        auditor,
      }),
      publish: createForgePublishAction({
        settings,
        publishers: {
          local: new LocalGitPublisher({ settings: settings.publish, dataDir, author: settings.gitAuthor }),
        },
        auditor,
      }),
      publishPlan: createForgePublishPlanAction({ settings }),
      register: createForgeCatalogRegisterAction({ settings, catalog: catalog as any, auditor }),
    };
  }

  it.each(CORPUS)('refuses %s', async (_what, action, change, message) => {
    const before = snapshot(outside);
    const error = await actions()
      [action].handler(actionContext({ input: { ...valid[action], ...change }, workspacePath: workspace }))
      .then(
        () => undefined,
        e => e,
      );
    expect(error?.name).toBe('InputError');
    expect(error.message).toMatch(message);
    expect(snapshot(outside)).toEqual(before);
  });

  it('does not write through a link in the workspace', async () => {
    fs.symlinkSync(path.join(outside, 'precious'), path.join(workspace, 'environment'));
    const before = snapshot(outside);
    await expect(
      actions().plan.handler(actionContext({ input: valid.plan, workspacePath: workspace })),
    ).rejects.toThrow("outputPath 'environment' goes through the symbolic link 'environment' in the workspace");
    expect(snapshot(outside)).toEqual(before);
  });

  it('does not read a catalog-info.yaml that is a link out of the workspace', async () => {
    fs.rmSync(path.join(workspace, 'catalog-info.yaml'));
    fs.writeFileSync(path.join(outside, 'precious/catalog-info.yaml'), projectCatalogInfo());
    fs.symlinkSync(path.join(outside, 'precious/catalog-info.yaml'), path.join(workspace, 'catalog-info.yaml'));
    await expect(
      actions().gate.handler(actionContext({ input: valid.gate, workspacePath: workspace })),
    ).rejects.toThrow("entityPath 'catalog-info.yaml' goes through the symbolic link 'catalog-info.yaml'");
  });

  it('does not publish a workspace holding a link to the host', async () => {
    fs.symlinkSync('/', path.join(workspace, 'root'));
    await expect(
      actions().publish.handler(actionContext({ input: valid.publish, workspacePath: workspace })),
    ).rejects.toThrow("the project holds the symbolic link 'root' pointing outside it");
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('refuses a catalog-info.yaml too large to be one', async () => {
    fs.writeFileSync(path.join(workspace, 'catalog-info.yaml'), `# ${'x'.repeat(300 * 1024)}\n`);
    await expect(
      actions().gate.handler(actionContext({ input: valid.gate, workspacePath: workspace })),
    ).rejects.toThrow('catalog-info.yaml is larger than 256 KiB');
  });
});
