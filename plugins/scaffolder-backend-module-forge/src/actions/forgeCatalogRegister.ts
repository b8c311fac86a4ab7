import { AuditorService, isChildPath } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { BLUEPRINT_CREATION_FACTS } from '@internal/plugin-compliance-common';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod/v3';
import { ComplianceGateway } from '../compliance/ComplianceGateway';
import { auditedStep } from '../lib/audit';
import { parseActionInput } from '../lib/inputs';
import { localLayout } from '../publish/destinations';
import { BlueprintSettings } from '../settings';
import { examples } from './forgeCatalogRegister.examples';

export const ACTION_ID = 'forge:catalog:register';

export const catalogRegisterInput = z.object({
  catalogInfoUrl: z
    .string()
    .max(2000)
    .describe('Where the published catalog-info.yaml is: the catalogInfoUrl output of forge:publish.'),
  waitSeconds: z.coerce
    .number()
    .min(0)
    .max(120)
    .default(30)
    .describe('How long to wait for the entity to appear in the catalog before finishing (0: do not wait).'),
  evidenceWaitSeconds: z.coerce
    .number()
    .min(0)
    .max(3000)
    .default(900)
    .describe(
      'With facts to leave: how long to keep waiting for the entity after waitSeconds, so the first evidence is not lost to a slow catalog. The compliance backend takes it only within the hour after the gate, so at most 50 minutes.',
    ),
  facts: z
    .array(
      z.object({
        // Only what the blueprint produces when it creates the project (forge:evidence:collect); the compliance
        // backend refuses any other fact from the scaffolder too.
        name: z.enum(BLUEPRINT_CREATION_FACTS, {
          errorMap: () => ({
            message: `the blueprints leave only the evidence forge:evidence:collect produces (${BLUEPRINT_CREATION_FACTS.join(
              ', ',
            )}); other facts come from the tools that produce them, such as CI`,
          }),
        }),
        collectedAt: z.string().datetime({ offset: true }),
        source: z.string().max(200).optional(),
        data: z.record(z.unknown()),
      }),
    )
    .max(10)
    .default([])
    .describe('Evidence to leave with compliance once the entity exists: the facts output of forge:evidence:collect.'),
});

/**
 * The location to register: a working copy of the embedded default's local git (a `file` location, only below
 * the data folder's repositories) or a URL on an integrated SCM.
 */
async function locationFor(catalogInfoUrl: string, settings: BlueprintSettings) {
  if (catalogInfoUrl.startsWith('file:')) {
    let file: string;
    try {
      file = fileURLToPath(catalogInfoUrl);
    } catch {
      throw new InputError(`${ACTION_ID}: '${catalogInfoUrl}' is not a file URL`);
    }
    const root = localLayout(settings.dataDir).checkoutRoot;
    // Errors reach the task log users read: paths are named relative to the data folder, never as on the server.
    const realDataDir = await fs.realpath(settings.dataDir).catch(() => settings.dataDir);
    const shown = (p: string) =>
      isChildPath(settings.dataDir, p) ? inDataFolder(settings.dataDir, p) : inDataFolder(realDataDir, p);
    let real: string;
    try {
      real = await fs.realpath(file);
    } catch {
      throw new InputError(`${ACTION_ID}: ${shown(file)} does not exist; publish the project with forge:publish first`);
    }
    if (!isChildPath(await fs.realpath(root).catch(() => root), real) || path.basename(real) !== 'catalog-info.yaml') {
      throw new InputError(
        `${ACTION_ID}: only catalog-info.yaml files of repositories Forge published (${shown(root)}) can be registered from disk`,
      );
    }
    return { type: 'file', target: real, shown: shown(real) };
  }
  if (!/^https?:\/\//.test(catalogInfoUrl)) {
    throw new InputError(`${ACTION_ID}: catalogInfoUrl must be an https URL or a file URL from forge:publish`);
  }
  return { type: 'url', target: catalogInfoUrl, shown: catalogInfoUrl };
}

/**
 * Whether the catalog's entity came from the location this task registered (`backstage.io/managed-by-location`,
 * or the origin location that brought it in): only then is it the project this run created.
 */
function fromLocation(entity: Entity, location: string): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return (
    annotations['backstage.io/managed-by-location'] === location ||
    annotations['backstage.io/managed-by-origin-location'] === location
  );
}

/**
 * A path as users may see it: relative to the data folder (`<data folder>/repos/x/catalog-info.yaml`), or only its
 * file name when it is elsewhere.
 */
export function inDataFolder(dataDir: string, file: string): string {
  const relative = path.relative(dataDir, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative)
    ? `<data folder>/${relative.split(path.sep).join('/')}`
    : `<outside the data folder>/${path.basename(file)}`;
}

/**
 * `forge:catalog:register`: registers the published project in the catalog, from the local working copy on the
 * embedded default or from the SCM in production, and waits until its entity can be opened.
 */
export function createForgeCatalogRegisterAction(options: {
  settings: BlueprintSettings;
  catalog: CatalogService;
  auditor: AuditorService;
  compliance?: Pick<ComplianceGateway, 'evaluateNow' | 'pushFact'>;
  /** For tests: the clock and the pause between looks at the catalog. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}) {
  const { settings, catalog, auditor, compliance } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)));
  return createTemplateAction({
    id: ACTION_ID,
    description: 'Registers a project Forge published in the catalog and waits until its entity is there.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => catalogRegisterInput,
      output: {
        entityRef: zod => zod.string({ description: 'The Component registered' }),
        catalogInfoUrl: zod => zod.string(),
      },
    },
    async handler(ctx) {
      const input = parseActionInput(ACTION_ID, catalogRegisterInput, ctx.input);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would register ${input.catalogInfoUrl}`);
        ctx.output('catalogInfoUrl', input.catalogInfoUrl);
        ctx.output('entityRef', '');
        return;
      }
      const { shown, ...location } = await locationFor(input.catalogInfoUrl, settings);
      const credentials = await ctx.getInitiatorCredentials();
      const entityRef = await auditedStep(
        auditor,
        ctx,
        { eventId: 'blueprint-register', meta: { location: `${location.type}:${location.target}` }, describe: ref => ({ entityRef: ref }) },
        () =>
          ctx.checkpoint({
            key: `forge.catalog.register.${location.type}:${location.target}`,
            fn: async () => {
              // A dry run first: it reads and validates the file and says which entities it holds.
              const preview = await catalog.addLocation({ ...location, dryRun: true }, { credentials });
              const entities = preview.entities.filter((e: Entity) => e.kind !== 'Location');
              const component = entities.find(e => e.kind === 'Component') ?? entities[0];
              if (!component) {
                throw new InputError(`${ACTION_ID}: ${shown} holds no entity to register`);
              }
              await catalog.addLocation({ ...location, existing: 'refresh' } as any, { credentials });
              return stringifyEntityRef(component);
            },
          }),
      );
      ctx.logger.info(`Registered ${entityRef} from ${location.type}:${shown}`);
      // With evidence to leave, a slow catalog must not lose it (the entity has to exist to hold a fact): keep looking,
      // less and less often, for evidenceWaitSeconds more, then say plainly that the step did not finish.
      const leaveEvidence = !!compliance && input.facts.length > 0;
      const started = clock();
      const waitMs = Math.max(input.waitSeconds, leaveEvidence ? input.waitSeconds + input.evidenceWaitSeconds : 0) * 1000;
      let found: Entity | undefined;
      let pause = 250;
      let nextNote = started + input.waitSeconds * 1000;
      while (waitMs > 0 && !found) {
        found = await catalog.getEntityByRef(entityRef, { credentials });
        if (found || clock() - started >= waitMs) break;
        if (leaveEvidence && clock() >= nextNote) {
          ctx.logger.info(
            `${entityRef} is not in the catalog yet after ${Math.round((clock() - started) / 1000)} s; waiting up to ${Math.round(
              waitMs / 60_000,
            )} minutes for it, to leave its first evidence with compliance`,
          );
          nextNote = clock() + 60_000;
        }
        await sleep(pause);
        pause = Math.min(pause * 2, 5000);
      }
      const visible = !!found;
      if (!visible && leaveEvidence) {
        throw new NotFoundError(
          `${ACTION_ID}: ${entityRef} is registered, but the catalog has not shown it within ${Math.round(
            waitMs / 60_000,
          )} minutes, so its first evidence (${input.facts
            .map(f => f.name)
            .join(', ')}) was not left with compliance and its security.no-leaked-secrets check fails until CI reports a secret scan. ` +
            `The repository and the environment request are published: do not create the project again. ` +
            `Look for the processing errors of ${shown} in the catalog and fix them, then run the project's CI on its default branch with FORGE_URL and FORGE_TOKEN set: its scan replaces this evidence.`,
        );
      }
      if (found && !fromLocation(found, `${location.type}:${location.target}`)) {
        // Another entity of that name was there first (the gate refuses such names; this is a race or a template
        // without the gate): the catalog keeps it, and nothing of this run may be said about it (issue 10).
        throw new ConflictError(
          `${ACTION_ID}: an entity named ${found.metadata.name} already exists in the catalog (${entityRef}), registered from another location; ` +
            `the catalog keeps it and did not take this project's ${shown}. Nothing was left with compliance for it. ` +
            `Delete the repository that was just published and create the project again under another name.`,
        );
      }
      if (input.waitSeconds > 0) {
        ctx.logger.info(
          visible
            ? `${entityRef} is in the catalog`
            : `${entityRef} is registered; the catalog is still processing it and shows it within a minute`,
        );
      }
      if (visible && compliance) {
        // The first evidence, now that there is an entity to hold it (forge:evidence:collect); each push re-scores.
        for (const fact of input.facts) {
          await compliance.pushFact(entityRef, fact).then(
            () => ctx.logger.info(`Left the ${fact.name} evidence (${fact.source ?? 'blueprint'}) with compliance`),
            error =>
              ctx.logger.warn(
                `${entityRef}: the ${fact.name} evidence could not be left with compliance (${error.message}); its CI will produce it`,
              ),
          );
        }
        // The scorecard is there when the owner first opens the entity; the schedule would get to it later anyway.
        await compliance.evaluateNow(entityRef).then(
          () => ctx.logger.info(`${entityRef} has its compliance scorecard`),
          error => ctx.logger.warn(`${entityRef} will be scored on the next scheduled run (${error.message})`),
        );
      }
      ctx.output('entityRef', entityRef);
      ctx.output('catalogInfoUrl', input.catalogInfoUrl);
    },
  });
}
