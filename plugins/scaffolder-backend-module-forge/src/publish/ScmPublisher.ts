import { Config } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { ActionContext, TemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  createPublishAzureAction,
} from '@backstage/plugin-scaffolder-backend-module-azure';
import {
  createPublishBitbucketServerAction,
  createPublishBitbucketServerPullRequestAction,
} from '@backstage/plugin-scaffolder-backend-module-bitbucket-server';
import {
  createPublishGithubAction,
  createPublishGithubPullRequestAction,
} from '@backstage/plugin-scaffolder-backend-module-github';
import {
  createPublishGitlabAction,
  createPublishGitlabMergeRequestAction,
} from '@backstage/plugin-scaffolder-backend-module-gitlab';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PublishProvider, PublishSettings } from '../settings';
import { environmentRequestDestination, projectDestination } from './destinations';
import { assertNoEscapingLinks } from './links';
import { PublishedEnvironmentRequest, PublishedProject } from './LocalGitPublisher';

type AnyAction = TemplateAction<any, any, any>;

/** Backstage's own publish actions for one SCM: a repository for the project, a pull request for the environment. */
export interface ScmPublishActions {
  project: AnyAction;
  environmentRequest: AnyAction;
}

export function createScmPublishActions(
  provider: Exclude<PublishProvider, 'local'>,
  config: Config,
): ScmPublishActions {
  const integrations = ScmIntegrations.fromConfig(config);
  switch (provider) {
    case 'github':
      return {
        project: createPublishGithubAction({ integrations, config }),
        environmentRequest: createPublishGithubPullRequestAction({ integrations, config } as any),
      };
    case 'gitlab':
      return {
        project: createPublishGitlabAction({ integrations, config }),
        environmentRequest: createPublishGitlabMergeRequestAction({ integrations }),
      };
    case 'bitbucketServer':
      return {
        project: createPublishBitbucketServerAction({ integrations, config }),
        environmentRequest: createPublishBitbucketServerPullRequestAction({ integrations, config }),
      };
    default:
      return {
        project: createPublishAzureAction({ integrations, config }),
        environmentRequest: createPublishAzureAction({ integrations, config }),
      };
  }
}

/** Runs a Backstage action inside a forge:* action, with its own input (and workspace) and its outputs collected. */
async function runDelegate(
  action: AnyAction,
  ctx: ActionContext<any, any>,
  input: Record<string, unknown>,
  workspacePath = ctx.workspacePath,
): Promise<Record<string, any>> {
  const outputs: Record<string, any> = {};
  await action.handler({
    ...ctx,
    input,
    workspacePath,
    output: (name: string, value: unknown) => {
      outputs[name] = value;
    },
  } as ActionContext<any, any>);
  return outputs;
}

/**
 * Publishing to the enterprise SCM through Backstage's publish actions, chosen by `forge.blueprints.publish.provider`.
 * The blueprints call forge:publish either way; only configuration changes.
 */
export class ScmPublisher {
  constructor(
    private readonly options: {
      settings: PublishSettings;
      dataDir: string;
      actions: ScmPublishActions;
    },
  ) {}

  async publishProject(
    ctx: ActionContext<any, any>,
    request: { ownerRef: string; name: string; sourcePath: string; sourceDir: string; description: string },
  ): Promise<PublishedProject> {
    const { settings, dataDir, actions } = this.options;
    const destination = projectDestination(settings, dataDir, request.ownerRef, request.name);
    await assertNoEscapingLinks(request.sourceDir, 'the project');
    const common = { repoUrl: destination.repoUrl, defaultBranch: destination.defaultBranch, sourcePath: request.sourcePath };
    let input: Record<string, unknown>;
    switch (destination.provider) {
      case 'gitlab':
        input = { ...common, repoVisibility: 'private' };
        break;
      case 'azure':
        input = { ...common, description: request.description };
        break;
      default:
        input = { ...common, description: request.description, repoVisibility: 'private' };
    }
    const out = await runDelegate(actions.project, ctx, input);
    return {
      remoteUrl: out.remoteUrl,
      browseUrl: destination.browseUrl,
      commitHash: out.commitHash ?? '',
      catalogInfoUrl: out.repoContentsUrl ? `${out.repoContentsUrl}/catalog-info.yaml` : destination.catalogInfoUrl,
    };
  }

  async publishEnvironmentRequest(
    ctx: ActionContext<any, any>,
    request: { namespace: string; sourceDir: string; title: string; description: string },
  ): Promise<PublishedEnvironmentRequest> {
    const { settings, dataDir, actions } = this.options;
    const destination = environmentRequestDestination(settings, dataDir, request.namespace);
    await assertNoEscapingLinks(request.sourceDir, 'the environment request');
    // Stage the request where it belongs in the GitOps repository, so every SCM's action copies the same layout.
    const staging = await ctx.createTemporaryDirectory();
    await fs.cp(request.sourceDir, path.join(staging, destination.path), { recursive: true });
    let input: Record<string, unknown>;
    switch (destination.provider) {
      case 'github':
      case 'gitlab':
        input = { repoUrl: destination.repoUrl, branchName: destination.branch, title: request.title, description: request.description };
        break;
      case 'bitbucketServer':
        input = { repoUrl: destination.repoUrl, sourceBranch: destination.branch, title: request.title, description: request.description };
        break;
      default:
        input = { repoUrl: destination.repoUrl, defaultBranch: destination.branch, description: request.description };
    }
    const out = await runDelegate(actions.environmentRequest, ctx, input, staging);
    return {
      remoteUrl: out.remoteUrl ?? destination.browseUrl,
      browseUrl: destination.browseUrl,
      branch: destination.branch,
      path: destination.path,
      commitHash: out.commitHash ?? '',
      pullRequestUrl: out.pullRequestUrl ?? out.mergeRequestUrl ?? (destination.provider === 'github' ? out.remoteUrl : undefined),
    };
  }
}
