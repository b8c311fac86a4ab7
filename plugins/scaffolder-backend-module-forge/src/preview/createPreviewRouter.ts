import { InputError, NotAllowedError } from '@backstage/errors';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { ForgeGuard, jsonBody } from '@internal/plugin-forge-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import { BlueprintOwners } from '../owners';
import { BlueprintPreview } from './BlueprintPreview';

const previewBody = z
  .object({
    templateRef: z.string().min(1).max(300),
    values: z
      .record(z.unknown())
      .refine(
        v => JSON.stringify(v).length <= 64 * 1024,
        'values must be at most 64 kB of JSON',
      ),
  })
  .strict();

/**
 * `POST /api/scaffolder/forge/preview`: the estimate and compliance result of a blueprint form, before anything is
 * created. Anyone who may run blueprints may preview them; the shared ForgeGuard decides (people by the permission
 * policy, services only if forge.permissions.services grants them `scaffolder.task.create`) and audits.
 */
export function createPreviewRouter(options: {
  preview: BlueprintPreview;
  /** Permission, audit and actor naming (the one guard of every Forge entry point). */
  guard: ForgeGuard;
  /**
   * The owner rule and its cost-center half, decided here for the person: the dry run goes with the scaffolder's own
   * token and cannot (BlueprintOwners.assertMayOwnInStep, assertMayChargeInStep).
   */
  owners?: BlueprintOwners;
}): express.Router {
  const { preview, guard, owners } = options;
  const router = Router();
  router.post(
    '/forge/preview',
    jsonBody({ limit: '128kb' }),
    async (req, res) => {
      const caller = await guard.authorize(req, taskCreatePermission);
      const parsed = previewBody.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InputError(
          `Invalid ${issue.path.join('.') || 'body'}: ${issue.message}`,
        );
      }
      const { owner, costCenter } = parsed.data.values;
      if (owners && caller.type === 'user' && typeof owner === 'string') {
        // The owner as forge:publish:plan decides it, then a cost center entered as forge:cost:estimate does.
        const checks: Array<[string, () => Promise<void>]> = [
          [
            'forge:publish:plan',
            () =>
              owners.assertMayOwn(
                owner,
                caller.credentials,
                caller.userEntityRef,
                {
                  action: 'forge:publish:plan',
                },
              ),
          ],
        ];
        if (typeof costCenter === 'string' && costCenter !== '') {
          checks.push([
            'forge:cost:estimate',
            () =>
              owners.assertMayCharge(
                costCenter,
                caller.credentials,
                caller.userEntityRef,
                {
                  action: 'forge:cost:estimate',
                  owner,
                },
              ),
          ]);
        }
        for (const [step, check] of checks) {
          try {
            await check();
          } catch (error) {
            if (!(error instanceof NotAllowedError)) throw error;
            // Told like any step that stops the request, on the review page, before anything is created.
            res.json({
              stoppedBy: { step, message: `${step}: ${error.message}` },
            });
            return;
          }
        }
      }
      const result = await guard.record(
        req,
        caller,
        {
          eventId: 'blueprint-preview',
          severityLevel: 'low',
          meta: { templateRef: parsed.data.templateRef },
        },
        () =>
          preview.preview(
            parsed.data.templateRef,
            parsed.data.values,
            caller.credentials,
          ),
      );
      res.json(result);
    },
  );
  return router;
}
