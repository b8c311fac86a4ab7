import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import {
  actionContext,
  demoCatalog,
  InMemoryComplianceGateway,
  projectCatalogInfo,
  RecordingAuditor,
  testSettings,
} from '../__testUtils__';
import { createForgeComplianceEvaluateAction } from './forgeComplianceEvaluate';
import { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';
import { examples } from './forgeComplianceEvaluate.examples';

describe('forge:compliance:evaluate examples', () => {
  const settings = testSettings();
  const catalog = demoCatalog();

  it.each(examples)('runs: $description', async example => {
    const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-gate-example-'));
    try {
      fs.writeFileSync(path.join(workspacePath, 'catalog-info.yaml'), projectCatalogInfo());
      await createForgeEnvironmentPlanAction({ settings, catalog, auditor: new RecordingAuditor() }).handler(
        actionContext({
          workspacePath,
          input: {
            name: 'churn-model',
            owner: 'group:default/retention-analytics',
            system: 'system:default/customer-retention',
            blueprint: 'ml-training-pipeline@1.0.0',
            region: 'eu-west-1',
            classification: 'confidential',
            dataSources: ['resource:default/policy-events-stream'],
            profile: 'large',
            gpuType: 'nvidia-t4',
            gpuCount: 1,
          },
        }),
      );
      const compliance = new InMemoryComplianceGateway();
      const action = createForgeComplianceEvaluateAction({
        settings,
        catalog,
        compliance,
        auditor: new RecordingAuditor(),
      });
      const ctx = actionContext({ input: yaml.parse(example.example).steps[0].input, workspacePath });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('decision', 'passed');
      expect(compliance.records.length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(workspacePath, { recursive: true, force: true });
    }
  });
});
