import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import { collectEvidence } from '../compliance/collectEvidence';
import { readWorkspaceFiles } from '../compliance/workspaceFiles';
import {
  parseActionInput,
  projectNameSchema,
  relativePathSchema,
  safeText,
} from '../lib/inputs';
import { resolveInsideWorkspace } from '../lib/workspace';
import { examples } from './forgeEvidenceCollect.examples';

export const ACTION_ID = 'forge:evidence:collect';

export const evidenceCollectInput = z.object({
  name: projectNameSchema.describe('The project, named in the SBOM'),
  description: safeText('description').optional(),
  path: relativePathSchema('path')
    .default('.')
    .describe(
      'The folder of the workspace to collect evidence from (default: all of it)',
    ),
});

/**
 * `forge:evidence:collect`: the first compliance evidence of a new project, collected from the files the blueprint
 * generated: a secret scan (secretlint) and an SBOM (CycloneDX). A generated project that would contain a credential
 * is refused here, before anything is published. The facts go to compliance with forge:catalog:register, once the
 * project's entity exists.
 */
export function createForgeEvidenceCollectAction(
  options: { now?: () => Date } = {},
) {
  return createTemplateAction({
    id: ACTION_ID,
    description:
      'Scans the generated project for secrets (secretlint) and builds a CycloneDX SBOM of its declared dependencies, as compliance facts with their provenance.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => evidenceCollectInput,
      output: {
        facts: zod =>
          zod.array(zod.any(), {
            description:
              'The facts (secret-scan, sbom) to push once the entity is registered: forge:catalog:register facts',
          }),
        summary: zod => zod.string(),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(
        ACTION_ID,
        evidenceCollectInput,
        ctx.input,
      );
      const root = await resolveInsideWorkspace(
        ctx.workspacePath,
        input.path,
        `${ACTION_ID}: path`,
      );
      const evidence = await collectEvidence({
        files: await readWorkspaceFiles(root),
        project: { name: input.name, description: input.description },
        taskId: ctx.task?.id,
        template: ctx.templateInfo?.entityRef,
        now: options.now?.() ?? new Date(),
      });
      if (evidence.findings.length > 0) {
        throw new InputError(
          `${ACTION_ID}: the generated project would contain ${
            evidence.findings.length
          } credential(s): ${evidence.findings
            .slice(0, 5)
            .map(f => `${f.file} line ${f.line} (${f.rule})`)
            .join(
              ', ',
            )}. Remove them from your answers (a description, a name) and try again; nothing was published.`,
        );
      }
      ctx.logger.info(evidence.summary);
      ctx.output('facts', evidence.facts);
      ctx.output('summary', evidence.summary);
    },
  });
}
