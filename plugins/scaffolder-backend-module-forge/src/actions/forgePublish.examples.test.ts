import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { LocalGitPublisher } from '../publish/LocalGitPublisher';
import { actionContext, outputOf, RecordingAuditor, testSettings } from '../__testUtils__';
import { createForgePublishAction } from './forgePublish';
import { examples as publishExamples } from './forgePublish.examples';

const stepInput = (example: { example: string }) => yaml.parse(example.example).steps[0].input;

describe('forge:publish examples', () => {
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

  it.each(publishExamples)('forge:publish runs: $description', async example => {
    const settings = testSettings({ dataDir });
    const action = createForgePublishAction({
      settings,
      publishers: { local: new LocalGitPublisher({ settings: settings.publish, dataDir, author: settings.gitAuthor }) },
      auditor: new RecordingAuditor(),
    });
    const ctx = actionContext({ input: stepInput(example), workspacePath });
    await action.handler(ctx);
    expect(outputOf(ctx, 'commitHash')).toMatch(/^[0-9a-f]{40}$/);
  });
});
