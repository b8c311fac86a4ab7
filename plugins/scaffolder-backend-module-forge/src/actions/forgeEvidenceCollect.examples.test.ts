import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { actionContext, outputOf } from '../__testUtils__';
import { createForgeEvidenceCollectAction } from './forgeEvidenceCollect';
import { examples } from './forgeEvidenceCollect.examples';

describe('forge:evidence:collect examples', () => {
  let workspacePath: string;
  beforeEach(() => {
    workspacePath = fs.mkdtempSync(
      path.join(os.tmpdir(), 'forge-evidence-examples-'),
    );
    fs.mkdirSync(path.join(workspacePath, 'project'));
    fs.writeFileSync(
      path.join(workspacePath, 'project/requirements.txt'),
      'numpy==2.1.3\n',
    );
  });
  afterEach(() => fs.rmSync(workspacePath, { recursive: true, force: true }));

  it.each(examples)('runs: $description', async example => {
    const ctx = actionContext({
      input: yaml.parse(example.example).steps[0].input,
      workspacePath,
    });
    await createForgeEvidenceCollectAction().handler(ctx as any);
    const [secrets, sbom] = outputOf(ctx, 'facts');
    expect(secrets.data.leaks).toBe(0);
    expect(sbom.data.components).toBe(1);
  });
});
