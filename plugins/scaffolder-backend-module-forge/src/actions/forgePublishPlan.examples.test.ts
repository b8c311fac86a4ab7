import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { actionContext, outputOf, testSettings } from '../__testUtils__';
import { createForgePublishPlanAction } from './forgePublishPlan';
import { examples as planExamples } from './forgePublishPlan.examples';

const stepInput = (example: { example: string }) => yaml.parse(example.example).steps[0].input;

describe('forge:publish:plan examples', () => {
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

  it.each(planExamples)('forge:publish:plan runs: $description', async example => {
    const ctx = actionContext({ input: stepInput(example) });
    await createForgePublishPlanAction({ settings: testSettings({ dataDir }) }).handler(ctx);
    expect(outputOf(ctx, 'sourceLocation')).toMatch(/^url:/);
  });
});
