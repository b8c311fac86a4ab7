import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import { groupRefSchema, parseActionInput, projectNameSchema } from '../lib/inputs';
import { environmentRequestDestination, projectDestination } from '../publish/destinations';
import { BlueprintOwners } from '../owners';
import { BlueprintSettings } from '../settings';
import { examples } from './forgePublishPlan.examples';

export const ACTION_ID = 'forge:publish:plan';

export const publishPlanInput = z.object({
  name: projectNameSchema,
  owner: groupRefSchema,
  namespace: projectNameSchema.optional(),
});

/**
 * `forge:publish:plan`: where forge:publish will put the project and its environment request, decided by
 * configuration. Runs before the skeleton is rendered, so catalog-info.yaml can carry its source location and
 * environment request from the start (the compliance gate checks both). As the first step, it also refuses an owner
 * the person running the blueprint may not choose (BlueprintOwners), before anything is estimated or rendered.
 */
export function createForgePublishPlanAction(options: { settings: BlueprintSettings; owners?: BlueprintOwners }) {
  const { settings, owners } = options;
  return createTemplateAction({
    id: ACTION_ID,
    description:
      'Works out where forge:publish will publish the project and its environment request (local git, GitHub, GitLab, Bitbucket Server or Azure DevOps, by configuration).',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => publishPlanInput,
      output: {
        provider: zod => zod.string(),
        repository: zod => zod.string({ description: 'owner/name of the project repository' }),
        repositoryUrl: zod => zod.string({ description: 'Where people browse the project repository' }),
        sourceLocation: zod => zod.string({ description: 'Value for backstage.io/source-location' }),
        environmentRequest: zod => zod.string({ description: 'Value for forge.io/environment-request' }),
        environmentRequestUrl: zod => zod.string(),
        defaultBranch: zod =>
          zod.string({ description: "The project repository's default branch (forge.blueprints.publish.defaultBranch)" }),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(ACTION_ID, publishPlanInput, ctx.input);
      await owners?.assertMayOwnInStep(input.owner, ctx, ACTION_ID);
      const project = projectDestination(settings.publish, settings.dataDir, input.owner, input.name);
      const request = environmentRequestDestination(
        settings.publish,
        settings.dataDir,
        input.namespace ?? input.name,
      );
      ctx.logger.info(
        `The project goes to ${project.provider} ${project.repository}, its environment request to ${request.repository} (${request.branch}).`,
      );
      ctx.output('provider', project.provider);
      ctx.output('repository', project.repository);
      ctx.output('repositoryUrl', project.browseUrl);
      ctx.output('sourceLocation', project.sourceLocation);
      ctx.output('environmentRequest', request.reference);
      ctx.output('environmentRequestUrl', request.browseUrl);
      ctx.output('defaultBranch', settings.publish.defaultBranch);
    },
  });
}
