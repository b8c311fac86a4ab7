import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { actionContext, outputOf, RecordingAuditor, testSettings } from '../__testUtils__';
import { createForgeCatalogRegisterAction } from './forgeCatalogRegister';
import { examples as registerExamples } from './forgeCatalogRegister.examples';

const stepInput = (example: { example: string }) => yaml.parse(example.example).steps[0].input;

describe('forge:catalog:register examples', () => {
  let root: string;
  let workspacePath: string;
  let dataDir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-publish-examples-'));
    workspacePath = path.join(root, 'workspace');
    dataDir = path.join(root, 'data');
    fs.mkdirSync(path.join(workspacePath, 'environment'), { recursive: true });
    fs.writeFileSync(path.join(workspacePath, 'catalog-info.yaml'), 'kind: Component\n');
    fs.writeFileSync(path.join(workspacePath, 'environment/request.yaml'), 'kind: EnvironmentRequest\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it.each(registerExamples)('forge:catalog:register runs: $description', async example => {
    const checkout = path.join(dataDir, 'repositories/retention-analytics/churn-model');
    fs.mkdirSync(checkout, { recursive: true });
    fs.writeFileSync(path.join(checkout, 'catalog-info.yaml'), 'kind: Component\n');
    const entity = { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'churn-model' }, spec: {} };
    let registered = '';
    const catalog: any = {
      addLocation: async (l: any) => {
        if (!l.dryRun) registered = `${l.type}:${l.target}`;
        return { location: l, entities: l.dryRun ? [entity] : [] };
      },
      // The entity the registered location brought in.
      getEntityByRef: async () => ({
        ...entity,
        metadata: { ...entity.metadata, annotations: { 'backstage.io/managed-by-location': registered } },
      }),
    };
    // The example wires the publish step's output; here that output is the working copy above.
    const input = {
      ...stepInput(example),
      catalogInfoUrl: `file://${checkout}/catalog-info.yaml`,
    };
    const ctx = actionContext({ input });
    await createForgeCatalogRegisterAction({
      settings: testSettings({ dataDir }),
      catalog,
      auditor: new RecordingAuditor(),
    }).handler(ctx);
    expect(outputOf(ctx, 'entityRef')).toBe('component:default/churn-model');
  });
});
