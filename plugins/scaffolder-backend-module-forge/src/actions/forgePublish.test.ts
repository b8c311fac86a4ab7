import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git } from '../publish/git';
import { LocalGitPublisher } from '../publish/LocalGitPublisher';
import { ScmPublisher } from '../publish/ScmPublisher';
import { actionContext, outputOf, RecordingAuditor, testSettings } from '../__testUtils__';
import { createForgePublishAction, Publishers } from './forgePublish';
import { createForgePublishPlanAction } from './forgePublishPlan';

// Real git: several processes per test, slow on a busy CI machine.
jest.setTimeout(30_000);

describe('forge:publish on the embedded default (real git)', () => {
  let root: string;
  let workspace: string;
  let dataDir: string;
  let auditor: RecordingAuditor;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-publish-test-'));
    workspace = path.join(root, 'workspace');
    dataDir = path.join(root, 'data');
    fs.mkdirSync(path.join(workspace, 'environment/kubernetes'), { recursive: true });
    fs.mkdirSync(path.join(workspace, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'catalog-info.yaml'), 'apiVersion: backstage.io/v1alpha1\nkind: Component\n');
    fs.writeFileSync(path.join(workspace, 'docs/index.md'), '# Churn model\n');
    fs.writeFileSync(path.join(workspace, 'environment/request.yaml'), 'kind: EnvironmentRequest\n');
    fs.writeFileSync(path.join(workspace, 'environment/kubernetes/namespace.yaml'), 'kind: Namespace\n');
    auditor = new RecordingAuditor();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function action() {
    const settings = testSettings({ dataDir });
    const publishers: Publishers = {
      local: new LocalGitPublisher({ settings: settings.publish, dataDir, author: settings.gitAuthor }),
    };
    return createForgePublishAction({ settings, publishers, auditor });
  }
  const projectInput = {
    target: 'project',
    name: 'churn-model',
    owner: 'group:default/retention-analytics',
    description: 'Predicts which policyholders lapse at renewal.',
  };

  it('publishes the project to a bare repository the portal serves at its repository page', async () => {
    const ctx = actionContext({ input: projectInput, workspacePath: workspace });
    await action().handler(ctx);

    const bare = path.join(dataDir, 'git/retention-analytics/churn-model.git');
    expect(outputOf(ctx, 'remoteUrl')).toBe(bare);
    const files = (await git(['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main'])).split('\n');
    expect(files).toEqual(
      expect.arrayContaining(['catalog-info.yaml', 'docs/index.md', 'environment/request.yaml']),
    );
    const log = await git(['--git-dir', bare, 'log', '-1', '--format=%an <%ae>|%s']);
    expect(log).toBe('Forge <forge@localhost>|Create churn-model for retention-analytics');
    expect(outputOf(ctx, 'commitHash')).toBe(await git(['--git-dir', bare, 'rev-parse', 'main']));

    // Links a browser opens, and the catalog and TechDocs read (packages/backend/src/modules/localRepositories).
    const web = 'http://localhost:7007/repositories/retention-analytics/churn-model';
    expect(outputOf(ctx, 'browseUrl')).toBe(web);
    expect(outputOf(ctx, 'catalogInfoUrl')).toBe(`${web}/blob/main/catalog-info.yaml`);
    // No working copy on disk: the repository itself is what is read.
    expect(fs.existsSync(path.join(dataDir, 'repositories'))).toBe(false);
    expect(auditor.events[0]).toMatchObject({ eventId: 'blueprint-publish', outcome: 'success' });
  });

  it('publishes once per task when retried, and refuses a second project of the same name', async () => {
    const checkpoints = new Map<string, unknown>();
    const first = actionContext({ input: projectInput, workspacePath: workspace, checkpoints });
    await action().handler(first);
    const retry = actionContext({ input: projectInput, workspacePath: workspace, checkpoints });
    await action().handler(retry);
    expect(outputOf(retry, 'commitHash')).toBe(outputOf(first, 'commitHash'));

    await expect(
      action().handler(actionContext({ input: projectInput, workspacePath: workspace })),
    ).rejects.toThrow('a repository retention-analytics/churn-model already exists; choose another project name');
  });

  it('sends environment requests as branches of the GitOps repository, one folder per namespace', async () => {
    const input = { ...projectInput, target: 'environment-request', sourcePath: 'environment', description: 'Namespace and quota.' };
    const ctx = actionContext({ input, workspacePath: workspace });
    await action().handler(ctx);
    const gitops = path.join(dataDir, 'git/platform/gitops.git');
    expect(outputOf(ctx, 'branch')).toBe('environment-request/churn-model');
    expect(outputOf(ctx, 'browseUrl')).toBe(
      'http://localhost:7007/repositories/platform/gitops/tree/environment-request/churn-model/environments/churn-model',
    );
    expect(await git(['--git-dir', gitops, 'ls-tree', '-r', '--name-only', 'environment-request/churn-model'])).toBe(
      ['README.md', 'environments/churn-model/kubernetes/namespace.yaml', 'environments/churn-model/request.yaml'].join('\n'),
    );
    // The request branches off main, so it can be reviewed and merged.
    expect(await git(['--git-dir', gitops, 'merge-base', 'main', 'environment-request/churn-model'])).toBe(
      await git(['--git-dir', gitops, 'rev-parse', 'main']),
    );

    await action().handler(actionContext({ input: { ...input, name: 'fraud-scorer' }, workspacePath: workspace }));
    expect((await git(['--git-dir', gitops, 'branch', '--list'])).split('\n').map(b => b.trim())).toEqual([
      'environment-request/churn-model',
      'environment-request/fraud-scorer',
      '* main',
    ]);
    await expect(action().handler(actionContext({ input, workspacePath: workspace }))).rejects.toThrow(
      'an environment request for namespace churn-model already exists',
    );
  });

  it('refuses to publish a workspace with a link pointing outside it, and publishes nothing', async () => {
    fs.symlinkSync('/etc', path.join(workspace, 'docs/host'));
    await expect(
      action().handler(actionContext({ input: projectInput, workspacePath: workspace })),
    ).rejects.toThrow("the project holds the symbolic link 'docs/host' pointing outside it");
    expect(fs.existsSync(path.join(dataDir, 'git'))).toBe(false);
  });

  it('publishes nothing in a dry run', async () => {
    const ctx = actionContext({ input: projectInput, workspacePath: workspace, isDryRun: true });
    await action().handler(ctx);
    expect(outputOf(ctx, 'browseUrl')).toBe('http://localhost:7007/repositories/retention-analytics/churn-model');
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

describe('forge:publish to an enterprise SCM', () => {
  it("hands the project and the environment request to Backstage's publish actions for the configured SCM", async () => {
    const base = testSettings();
    const settings = {
      ...base,
      publish: {
        ...base.publish,
        provider: 'github' as const,
        host: 'github.example.com',
        organization: 'meridian-data',
      },
    };
    const calls: Array<{ action: string; input: any; files: string[] }> = [];
    const fake = (name: string, outputs: Record<string, string>) => ({
      id: name,
      handler: async (ctx: any) => {
        const list = (dir: string): string[] =>
          fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
            e.isDirectory() ? list(path.join(dir, e.name)).map(f => `${e.name}/${f}`) : [e.name],
          );
        calls.push({ action: name, input: ctx.input, files: list(ctx.workspacePath) });
        for (const [k, v] of Object.entries(outputs)) ctx.output(k, v);
      },
    });
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-scm-'));
    fs.mkdirSync(path.join(workspace, 'environment'));
    fs.writeFileSync(path.join(workspace, 'environment/request.yaml'), 'kind: EnvironmentRequest\n');
    fs.writeFileSync(path.join(workspace, 'catalog-info.yaml'), 'kind: Component\n');
    const publishers: Publishers = {
      scm: new ScmPublisher({
        settings: settings.publish,
        dataDir: settings.dataDir,
        actions: {
          project: fake('publish:github', {
            remoteUrl: 'https://github.example.com/meridian-data/churn-model',
            repoContentsUrl: 'https://github.example.com/meridian-data/churn-model/blob/main',
            commitHash: 'abc123',
          }) as any,
          environmentRequest: fake('publish:github:pull-request', {
            remoteUrl: 'https://github.example.com/meridian-data/gitops/pull/7',
          }) as any,
        },
      }),
    };
    const action = createForgePublishAction({ settings, publishers, auditor: new RecordingAuditor() });
    try {
      const project = actionContext({
        input: { target: 'project', name: 'churn-model', owner: 'retention-analytics', description: 'Churn model.' },
        workspacePath: workspace,
      });
      (project as any).createTemporaryDirectory = async () => fs.mkdtempSync(path.join(os.tmpdir(), 'forge-stage-'));
      await action.handler(project);
      expect(calls[0]).toMatchObject({
        action: 'publish:github',
        input: {
          repoUrl: 'github.example.com?owner=meridian-data&repo=churn-model',
          defaultBranch: 'main',
          repoVisibility: 'private',
          sourcePath: '.',
        },
      });
      expect(outputOf(project, 'catalogInfoUrl')).toBe(
        'https://github.example.com/meridian-data/churn-model/blob/main/catalog-info.yaml',
      );

      const request = actionContext({
        input: { target: 'environment-request', name: 'churn-model', owner: 'retention-analytics', description: 'Env.' },
        workspacePath: workspace,
      });
      (request as any).createTemporaryDirectory = async () => fs.mkdtempSync(path.join(os.tmpdir(), 'forge-stage-'));
      await action.handler(request);
      expect(calls[1]).toMatchObject({
        action: 'publish:github:pull-request',
        input: {
          repoUrl: 'github.example.com?owner=meridian-data&repo=gitops',
          branchName: 'environment-request/churn-model',
          title: 'Environment request: churn-model (retention-analytics)',
        },
        files: ['environments/churn-model/request.yaml'],
      });
      expect(outputOf(request, 'pullRequestUrl')).toBe('https://github.example.com/meridian-data/gitops/pull/7');
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('plans the same destinations the publisher uses, for each provider', async () => {
    const base = testSettings();
    const cases = [
      ['github', 'url:https://scm.example/meridian-data/churn-model/tree/main/', 'url:https://scm.example/meridian-data/gitops/tree/environment-request/churn-model/environments/churn-model'],
      ['gitlab', 'url:https://scm.example/meridian-data/churn-model/-/tree/main/', 'url:https://scm.example/meridian-data/gitops/-/tree/environment-request/churn-model/environments/churn-model'],
      ['bitbucketServer', 'url:https://scm.example/projects/meridian-data/repos/churn-model/browse', 'url:https://scm.example/projects/meridian-data/repos/gitops/browse/environments/churn-model?at=refs%2Fheads%2Fenvironment-request%2Fchurn-model'],
      ['azure', 'url:https://scm.example/meridian-data/data/_git/churn-model', 'url:https://scm.example/meridian-data/data/_git/gitops-churn-model?path=/environments/churn-model'],
    ] as const;
    for (const [provider, sourceLocation, environmentRequest] of cases) {
      const settings = {
        ...base,
        publish: { ...base.publish, provider, host: 'scm.example', organization: 'meridian-data', project: 'data' },
      };
      const ctx = actionContext({ input: { name: 'churn-model', owner: 'group:default/retention-analytics' } });
      await createForgePublishPlanAction({ settings }).handler(ctx);
      expect([outputOf(ctx, 'sourceLocation'), outputOf(ctx, 'environmentRequest')]).toEqual([sourceLocation, environmentRequest]);
    }
  });
});
