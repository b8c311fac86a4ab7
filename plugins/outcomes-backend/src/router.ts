import fs from 'node:fs';
import express from 'express';
import Router from 'express-promise-router';
import {
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  Caller,
  ForgeGuard,
  jsonBody,
  normalizeEntityRef,
} from '@internal/plugin-forge-node';
import {
  outcomesOrgReadPermission,
  outcomesReadPermission,
  outcomesSurveyRespondPermission,
} from '@internal/plugin-outcomes-common';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OutcomesService } from './service/OutcomesService';
import { SurveyService } from './service/SurveyService';

const reportQuery = z
  .object({
    scope: z
      .string()
      .max(300)
      .regex(
        /^(org|group:[^/\s]+\/[^/\s]+)$/,
        "must be 'org' or a group ref such as group:default/retention-analytics",
      )
      .optional(),
  })
  .strict();

const surveyBody = z
  .object({
    entityRef: z.string().min(1).max(300),
    score: z
      .number()
      .int('must be a whole number from 0 to 10')
      .min(0, 'must be from 0 to 10')
      .max(10, 'must be from 0 to 10'),
    comment: z.string().trim().max(2000).optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `Invalid ${where}${
        issue.path.length ? `.${issue.path.join('.')}` : ''
      }: ${issue.message}`,
    );
  }
  return result.data;
}

/**
 * Who sees what. Everyone signed in sees the outcomes of their teams and their sub-teams; the organisation and any
 * other team need forge.outcomes.org.read (Forge policy: admin, compliance, security).
 */
export class OutcomesAccess {
  constructor(
    private readonly deps: {
      guard: ForgeGuard;
      permissions: PermissionsService;
      userInfo: UserInfoService;
      service: OutcomesService;
    },
  ) {}

  /** Whether the caller may see everything, asked quietly (a probe for the scope list is not an attempt). */
  private async seesOrg(caller: Caller): Promise<boolean> {
    const [decision] = await this.deps.permissions.authorize(
      [{ permission: outcomesOrgReadPermission }],
      { credentials: caller.credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  async scopesOf(
    caller: Caller,
  ): Promise<Array<{ scope: string; title: string }>> {
    const all = await this.deps.service.scopes();
    if (await this.seesOrg(caller)) return all;
    if (caller.type !== 'user') return [];
    const { ownershipEntityRefs } = await this.deps.userInfo.getUserInfo(
      caller.credentials,
    );
    const visible = await this.deps.service.teamsVisibleTo(ownershipEntityRefs);
    return all.filter(s => visible.has(s.scope));
  }
}

export async function createRouter(options: {
  guard: ForgeGuard;
  access: OutcomesAccess;
  service: OutcomesService;
  surveys: SurveyService;
  openApiPath: string;
}): Promise<express.Router> {
  const { guard, access, service, surveys } = options;
  const router = Router();

  router.get('/openapi.json', (_req, res) => {
    res.json(parseYaml(fs.readFileSync(options.openApiPath, 'utf8')));
  });

  router.get('/report', async (req, res) => {
    const caller = await guard.authorize(req, outcomesReadPermission);
    const { scope } = parse(reportQuery, req.query, 'query');
    const visible = await access.scopesOf(caller);
    const wanted = scope && normalizeScope(scope);
    const chosen = wanted ?? visible[0]?.scope;
    if (!chosen) {
      throw new NotAllowedError(
        'You belong to no team in the catalog, so there are no team outcomes to show you; the organisation-wide ' +
          'figures are for the platform lead and the compliance and security roles',
      );
    }
    if (!visible.some(s => s.scope === chosen)) {
      // Outside the caller's teams: only with the organisation-wide permission (audited when refused).
      await guard.authorize(req, outcomesOrgReadPermission);
    }
    res.json(await service.report(chosen, visible));
  });

  router.get('/surveys/pending', async (req, res) => {
    const caller = await guard.authorize(req, outcomesReadPermission);
    res.json({
      items:
        caller.type === 'user'
          ? await surveys.pending(caller.userEntityRef)
          : [],
    });
  });

  router.post('/surveys', jsonBody(), async (req, res) => {
    // The guard first, so that a body naming someone else as who answers is refused and audited as such.
    const caller = await guard.authorize(req, outcomesSurveyRespondPermission);
    const body = parse(surveyBody, req.body, 'body');
    const entityRef = normalizeEntityRef(body.entityRef, {
      defaultKind: 'component',
      field: 'entityRef',
    });
    await guard.record(
      req,
      caller,
      {
        eventId: 'outcomes-survey-answer',
        severityLevel: 'low',
        meta: { entityRef, score: body.score },
      },
      async () => {
        if (caller.type !== 'user') {
          throw new NotAllowedError(
            'Only people answer the satisfaction question',
          );
        }
        await surveys.answer({
          userEntityRef: caller.userEntityRef,
          entityRef,
          score: body.score,
          comment: body.comment,
        });
      },
    );
    res.status(201).json({ entityRef, score: body.score });
  });

  return router;
}

function normalizeScope(scope: string): string {
  return scope === 'org'
    ? 'org'
    : normalizeEntityRef(scope, { defaultKind: 'group', field: 'scope' });
}
