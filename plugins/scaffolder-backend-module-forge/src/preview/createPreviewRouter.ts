import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import { BlueprintPreview } from './BlueprintPreview';

const previewBody = z
  .object({
    templateRef: z.string().min(1).max(300),
    values: z
      .record(z.unknown())
      .refine(v => JSON.stringify(v).length <= 64 * 1024, 'values must be at most 64 kB of JSON'),
  })
  .strict();

/**
 * `POST /api/scaffolder/forge/preview`: the estimate and compliance result of a blueprint form, before anything is
 * created. Anyone who may run blueprints may preview them.
 */
export function createPreviewRouter(options: {
  preview: BlueprintPreview;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}): express.Router {
  const { preview, httpAuth, permissions, auditor } = options;
  const router = Router();
  router.post('/forge/preview', express.json({ limit: '128kb' }), async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize([{ permission: taskCreatePermission }], { credentials });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError('You may not run blueprints, so you cannot preview them');
    }
    const parsed = previewBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`Invalid ${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const event = await auditor.createEvent({
      eventId: 'blueprint-preview',
      severityLevel: 'low',
      request: req,
      meta: { templateRef: parsed.data.templateRef },
    });
    try {
      const result = await preview.preview(parsed.data.templateRef, parsed.data.values, credentials);
      await event.success();
      res.json(result);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });
  return router;
}
