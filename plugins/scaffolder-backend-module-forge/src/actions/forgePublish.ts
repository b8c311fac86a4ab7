import { AuditorService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import { auditedStep } from '../lib/audit';
import {
  groupRefSchema,
  parseActionInput,
  projectNameSchema,
  relativePathSchema,
  safeText,
} from '../lib/inputs';
import { resolveInsideWorkspace } from '../lib/workspace';
import { environmentRequestDestination, projectDestination } from '../publish/destinations';
import {
  LocalGitPublisher,
  PublishedEnvironmentRequest,
  PublishedProject,
} from '../publish/LocalGitPublisher';
import { ScmPublisher } from '../publish/ScmPublisher';
import { BlueprintOwners } from '../owners';
import { renderedCostCenters } from '../owners/renderedCostCenters';
import { BlueprintSettings } from '../settings';
import { examples } from './forgePublish.examples';

export const ACTION_ID = 'forge:publish';

export const publishInput = z.object({
  target: z.enum(['project', 'environment-request']),
  name: projectNameSchema,
  owner: groupRefSchema,
  namespace: projectNameSchema.optional(),
  sourcePath: relativePathSchema('sourcePath').optional(),
  description: safeText('description', 300).pipe(z.string().min(1, 'description must not be empty')),
});

/** Publishes to local git or the enterprise SCM; which one is configuration. */
export interface Publishers {
  local?: LocalGitPublisher;
  scm?: ScmPublisher;
}

/**
 * `forge:publish`: publishes the project repository, or its environment request to the GitOps repository, where
 * configuration says: real git repositories under the data folder on the embedded default, Backstage's own
 * publish actions for GitHub, GitLab, Bitbucket Server and Azure DevOps in production. Blueprints do not change.
 * Nothing is published for an owner the person running the blueprint may not choose, nor with a `forge.io/cost-center`
 * in its files that they may not charge (BlueprintOwners).
 */
export function createForgePublishAction(options: {
  settings: BlueprintSettings;
  publishers: Publishers;
  auditor: AuditorService;
  owners?: BlueprintOwners;
}) {
  const { settings, publishers, auditor, owners } = options;
  return createTemplateAction({
    id: ACTION_ID,
    description:
      'Publishes the project, or its environment request, to local git or the configured enterprise SCM.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => publishInput,
      output: {
        remoteUrl: zod => zod.string(),
        browseUrl: zod => zod.string(),
        commitHash: zod => zod.string(),
        catalogInfoUrl: zod => zod.string({ description: 'For forge:catalog:register (project only)' }).optional(),
        branch: zod => zod.string().optional(),
        pullRequestUrl: zod => zod.string().optional(),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(ACTION_ID, publishInput, ctx.input);
      await owners?.assertMayOwnInStep(input.owner, ctx, ACTION_ID);
      const isProject = input.target === 'project';
      const sourcePath = input.sourcePath ?? (isProject ? '.' : 'environment');
      const sourceDir = await resolveInsideWorkspace(ctx.workspacePath, sourcePath, 'sourcePath');
      // The cost center goes out in the files (forge.io/cost-center), whatever the steps before did with it.
      if (owners) {
        for (const costCenter of await renderedCostCenters(sourceDir)) {
          await owners.assertMayChargeInStep(costCenter, input.owner, ctx, ACTION_ID);
        }
      }
      const namespace = input.namespace ?? input.name;
      const provider = settings.publish.provider;

      if (ctx.isDryRun) {
        const project = projectDestination(settings.publish, settings.dataDir, input.owner, input.name);
        const request = environmentRequestDestination(settings.publish, settings.dataDir, namespace);
        const where = isProject ? project.browseUrl : request.browseUrl;
        ctx.logger.info(`Dry run: would publish ${sourcePath} to ${where}`);
        ctx.output('remoteUrl', where);
        ctx.output('browseUrl', where);
        ctx.output('commitHash', '');
        if (isProject) ctx.output('catalogInfoUrl', project.catalogInfoUrl);
        else ctx.output('branch', request.branch);
        return;
      }

      const published = await auditedStep(
        auditor,
        ctx,
        {
          eventId: 'blueprint-publish',
          severityLevel: 'medium',
          meta: { target: input.target, name: input.name, owner: input.owner, provider },
          describe: (r: PublishedProject | PublishedEnvironmentRequest) => ({
            remoteUrl: r.remoteUrl,
            commitHash: r.commitHash,
          }),
        },
        () =>
          // A retried task must not publish twice: the first result is kept.
          ctx.checkpoint({
            key: `forge.publish.${input.target}.${input.owner}.${input.name}`,
            fn: async (): Promise<any> => {
              const ownerName = parseEntityRef(input.owner).name;
              if (isProject) {
                const request = {
                  ownerRef: input.owner,
                  name: input.name,
                  sourceDir,
                  sourcePath,
                  description: input.description,
                  commitMessage: `Create ${input.name} for ${ownerName}\n\n${input.description}\n\nCreated with Forge (task ${ctx.task?.id ?? 'unknown'}).`,
                };
                return provider === 'local'
                  ? publishers.local!.publishProject(request)
                  : publishers.scm!.publishProject(ctx, request);
              }
              const request = {
                namespace,
                sourceDir,
                title: `Environment request: ${namespace} (${ownerName})`,
                description: `${input.description}\n\nRequested through Forge by ${ctx.user?.ref ?? 'a member'} (task ${ctx.task?.id ?? 'unknown'}).`,
              };
              return provider === 'local'
                ? publishers.local!.publishEnvironmentRequest(request)
                : publishers.scm!.publishEnvironmentRequest(ctx, request);
            },
          }),
      );
      ctx.logger.info(`Published ${input.target} ${input.name} to ${published.browseUrl}`);
      ctx.output('remoteUrl', published.remoteUrl);
      ctx.output('browseUrl', published.browseUrl);
      ctx.output('commitHash', published.commitHash);
      if ('catalogInfoUrl' in published) ctx.output('catalogInfoUrl', published.catalogInfoUrl);
      if ('branch' in published) ctx.output('branch', published.branch);
      if ('pullRequestUrl' in published && published.pullRequestUrl) {
        ctx.output('pullRequestUrl', published.pullRequestUrl);
      }
    },
  });
}
