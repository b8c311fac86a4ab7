import { NotAllowedError } from '@backstage/errors';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { ForgeGuard } from '@internal/plugin-forge-node';
import express from 'express';
import Router from 'express-promise-router';
import { BlueprintOwners } from './BlueprintOwners';

/**
 * `GET /api/scaffolder/forge/owners`: the teams the signed-in person may choose as a new project's owner, with their
 * cost centers, for the blueprint form's owner picker. forge:publish:plan and forge:publish apply the same rule.
 * Through the shared ForgeGuard: whoever may run blueprints (`scaffolder.task.create`), and people only, since a
 * team is chosen for the person running the blueprint; every refusal is audited.
 */
export function createOwnersRouter(options: {
  owners: BlueprintOwners;
  guard: ForgeGuard;
}): express.Router {
  const { owners, guard } = options;
  const router = Router();
  router.get('/forge/owners', async (req, res) => {
    const caller = await guard.authorize(req, taskCreatePermission);
    if (caller.type !== 'user') {
      await guard.refuse(
        req,
        caller,
        new NotAllowedError(
          'The owner choices are for the person running a blueprint; a service has no teams to choose from',
        ),
      );
      return;
    }
    res.setHeader('cache-control', 'no-store');
    res.json(await owners.choices(caller.credentials, caller.userEntityRef));
  });
  return router;
}
