import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import { BlueprintOwners } from './BlueprintOwners';

/**
 * `GET /api/scaffolder/forge/owners`: the teams the signed-in person may choose as a new project's owner, with their
 * cost centers, for the blueprint form's owner picker. forge:publish:plan and forge:publish apply the same rule.
 */
export function createOwnersRouter(options: {
  owners: BlueprintOwners;
  httpAuth: HttpAuthService;
}): express.Router {
  const { owners, httpAuth } = options;
  const router = Router();
  router.get('/forge/owners', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    res.setHeader('cache-control', 'no-store');
    res.json(await owners.choices(credentials, credentials.principal.userEntityRef));
  });
  return router;
}
