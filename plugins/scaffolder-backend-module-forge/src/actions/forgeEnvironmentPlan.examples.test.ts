import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { actionContext, demoCatalog, RecordingAuditor, testSettings } from '../__testUtils__';
import { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';
import { examples } from './forgeEnvironmentPlan.examples';

describe('forge:environment:plan examples', () => {
  const action = createForgeEnvironmentPlanAction({
    settings: testSettings(),
    catalog: demoCatalog(),
    auditor: new RecordingAuditor(),
  });

  it.each(examples)('runs: $description', async example => {
    const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-plan-example-'));
    try {
      const input = yaml.parse(example.example).steps[0].input;
      const ctx = actionContext({ input, workspacePath });
      await action.handler(ctx);
      expect(fs.existsSync(path.join(workspacePath, 'environment/request.yaml'))).toBe(true);
    } finally {
      fs.rmSync(workspacePath, { recursive: true, force: true });
    }
  });
});
