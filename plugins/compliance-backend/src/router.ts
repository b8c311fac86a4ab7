import express from 'express';
import Router from 'express-promise-router';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { parse as parseYaml } from 'yaml';
import {
  APPROVAL_CHECK_IDS,
  complianceEvaluatePermission,
  complianceEvidenceExportPermission,
  complianceExemptionApprovePermission,
  complianceExemptionRequestPermission,
  complianceFactsPushPermission,
  compliancePolicyReloadPermission,
  complianceScorecardReadPermission,
  FRAMEWORKS,
} from '@internal/plugin-compliance-common';
import { ComplianceStore } from './database/ComplianceStore';
import { ComplianceService } from './service/ComplianceService';
import { DashboardService } from './service/DashboardService';
import { EvidenceScope, EvidenceService } from './service/EvidenceService';
import { ExemptionService } from './service/ExemptionService';
import { PolicyPackLoader } from './service/PolicyPackLoader';
import { HistoryService } from './service/HistoryService';
import { createRequestContext, principalOf } from './service/requestContext';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  store: ComplianceStore;
  loader: PolicyPackLoader;
  compliance: ComplianceService;
  exemptions: ExemptionService;
  evidence: EvidenceService;
  dashboard: DashboardService;
  history: HistoryService;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : what;
    throw new InputError(`Invalid ${field}: ${issue.message}`);
  }
  return result.data;
}

const isoDate = z
  .string()
  .refine(
    v => !Number.isNaN(Date.parse(v)),
    'must be an ISO 8601 date or time',
  );

const entityDocument = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z
      .object({ name: z.string().min(1), namespace: z.string().optional() })
      .passthrough(),
    spec: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

const factBody = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,62}$/,
        'must be lower-case letters, digits and dashes, e.g. dependency-scan',
      ),
    collectedAt: isoDate,
    source: z.string().max(200).optional(),
    data: z
      .record(z.string(), z.unknown())
      .refine(
        d => JSON.stringify(d).length <= 64_000,
        'must be at most 64 kB of JSON',
      ),
  })
  .strict();

const exemptionBody = z
  .object({
    kind: z.enum(['exemption', 'approval']).optional(),
    entityRef: z.string().min(1),
    checkId: z.string().min(1),
    justification: z
      .string()
      .trim()
      .min(
        20,
        'must explain in at least 20 characters why the risk is acceptable',
      )
      .max(4000),
    compensatingControl: z
      .string()
      .trim()
      .min(10, 'must name the control that reduces the risk meanwhile')
      .max(4000),
    expiresAt: isoDate,
    onBehalfOf: z
      .string()
      .regex(
        /^user:[^/:]+\/[^/:]+$/,
        'must be a full user reference such as user:default/jane.doe',
      )
      .optional(),
  })
  .strict();

const decisionBody = z
  .object({
    status: z.enum(['approved', 'rejected']),
    note: z.string().max(4000).optional(),
  })
  .strict();

function refFromParams(params: Record<string, string>): string {
  return stringifyEntityRef({
    kind: params.kind,
    namespace: params.namespace,
    name: params.name,
  });
}

function normaliseRef(value: string, defaultKind = 'component'): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
    );
  } catch {
    throw new InputError(
      `'${value}' is not an entity reference (kind:namespace/name)`,
    );
  }
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    loader,
    compliance,
    exemptions,
    evidence,
    dashboard,
    store,
    history,
  } = options;
  const { authorize, audit } = createRequestContext(options);
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const openapi = parseYaml(
    fs.readFileSync(
      path.join(
        resolvePackagePath('@internal/plugin-compliance-backend'),
        'openapi.yaml',
      ),
      'utf8',
    ),
  );
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  // --- Policy packs ---------------------------------------------------------------------------------------
  router.get('/policy-packs', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    res.json({ items: loader.policy.packs, status: loader.loadStatus });
  });

  router.post('/policy-packs/reload', async (req, res) => {
    await authorize(req, compliancePolicyReloadPermission);
    const status = await audit(
      req,
      'policy-packs-reload',
      {},
      () => loader.reload(),
      'high',
    );
    res.json(status);
  });

  // --- Scorecards -----------------------------------------------------------------------------------------
  router.get('/scorecards/:kind/:namespace/:name', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    const asOf =
      req.query.asOf === undefined
        ? undefined
        : new Date(parse(isoDate, req.query.asOf, 'asOf'));
    res.json(await compliance.scorecard(refFromParams(req.params), asOf));
  });

  router.get('/scorecards/:kind/:namespace/:name/history', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    const limit = parse(
      z.coerce.number().int().min(1).max(1000).default(200),
      req.query.limit,
      'limit',
    );
    res.json({
      items: await store.listHistory(refFromParams(req.params), limit),
    });
  });

  router.get(
    '/scorecards/:kind/:namespace/:name/gate-evaluations',
    async (req, res) => {
      await authorize(req, complianceScorecardReadPermission);
      res.json({
        items: await store.listGateEvaluations(refFromParams(req.params)),
      });
    },
  );

  router.post(
    '/scorecards/:kind/:namespace/:name/evaluate',
    async (req, res) => {
      await authorize(req, complianceEvaluatePermission);
      const entityRef = refFromParams(req.params);
      const [evaluation] = await audit(
        req,
        'evaluate-entity',
        { entityRef },
        () => compliance.evaluateEntities([entityRef]),
        'low',
      );
      if (!evaluation)
        throw new NotFoundError(`No entity ${entityRef} in the catalog`);
      res.json(await compliance.scorecard(entityRef));
    },
  );

  router.post('/dry-run', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    const body = parse(
      z
        .object({
          entity: entityDocument,
          mode: z.enum(['catalog', 'request']).default('catalog'),
        })
        .strict(),
      req.body,
      'body',
    );
    res.json(await compliance.dryRun(body.entity as Entity, body.mode));
  });

  // --- Facts pushed by tools ------------------------------------------------------------------------------
  router.post('/facts/:kind/:namespace/:name', async (req, res) => {
    const credentials = await authorize(req, complianceFactsPushPermission);
    const entityRef = refFromParams(req.params);
    const fact = parse(factBody, req.body, 'body');
    const evaluation = await audit(
      req,
      'fact-push',
      { entityRef, fact: fact.name },
      () => compliance.pushFact(entityRef, fact, principalOf(credentials)),
    );
    res.status(201).json({
      entityRef,
      fact: fact.name,
      score: evaluation?.score,
      level: evaluation?.level,
    });
  });

  // --- Exemptions and approvals ---------------------------------------------------------------------------
  router.get('/exemptions', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    const filter = parse(
      z
        .object({
          entityRef: z.string().optional(),
          checkId: z.string().optional(),
          status: z
            .enum(['pending', 'approved', 'rejected', 'revoked'])
            .optional(),
          kind: z.enum(['exemption', 'approval']).optional(),
        })
        .strict(),
      req.query,
      'query',
    );
    res.json({
      items: await store.listExemptions({
        ...filter,
        entityRef: filter.entityRef && normaliseRef(filter.entityRef),
      }),
    });
  });

  router.post('/exemptions', async (req, res) => {
    const body = parse(exemptionBody, req.body, 'body');
    const entityRef = normaliseRef(body.entityRef);
    const credentials = await httpCredentials(req);
    const { onBehalfOf, ...request } = body;
    if (credentials.principal.type === 'user') {
      if (onBehalfOf !== undefined) {
        throw new NotAllowedError(
          'onBehalfOf is for services filing a request for a person; leave it out',
        );
      }
      if (body.kind === 'approval' || entityRef.startsWith('group:')) {
        throw new NotAllowedError(
          'Approvals and team-wide exemptions are filed by the Forge blueprints, not by hand',
        );
      }
      await authorize(req, complianceExemptionRequestPermission, entityRef);
    }
    const exemption = await audit(
      req,
      'exemption-request',
      {
        entityRef,
        checkId: body.checkId,
        kind: body.kind ?? 'exemption',
        ...(onBehalfOf ? { onBehalfOf } : {}),
      },
      () =>
        exemptions.request(
          { ...request, entityRef },
          onBehalfOf ?? principalOf(credentials),
        ),
    );
    res.status(201).json(exemption);
  });

  router.post('/exemptions/:id/decision', async (req, res) => {
    const credentials = await authorize(
      req,
      complianceExemptionApprovePermission,
    );
    const body = parse(decisionBody, req.body, 'body');
    const decided = await audit(
      req,
      'exemption-decision',
      { exemptionId: req.params.id, status: body.status },
      () => exemptions.decide(req.params.id, body, principalOf(credentials)),
      'high',
    );
    res.json(decided);
  });

  router.post('/exemptions/:id/revoke', async (req, res) => {
    const credentials = await authorize(
      req,
      complianceExemptionApprovePermission,
    );
    const body = parse(
      z.object({ note: z.string().max(4000).optional() }).strict(),
      req.body ?? {},
      'body',
    );
    const revoked = await audit(
      req,
      'exemption-revoke',
      { exemptionId: req.params.id },
      () =>
        exemptions.revoke(req.params.id, principalOf(credentials), body.note),
      'high',
    );
    res.json(revoked);
  });

  // --- Scaffolder gate evidence ---------------------------------------------------------------------------
  router.post('/gate-evaluations', async (req, res) => {
    const credentials = await httpCredentials(req);
    if (credentials.principal.type !== 'service') {
      throw new NotAllowedError(
        'Gate evaluations are recorded by the Forge scaffolder actions only',
      );
    }
    const body = parse(
      z
        .object({
          entityRef: z.string().min(1),
          decision: z.enum(['passed', 'blocked', 'approval-required']),
          evaluation: z
            .object({
              entityRef: z.string(),
              score: z.number(),
              level: z.string(),
              results: z.array(z.unknown()),
            })
            .passthrough(),
          taskId: z.string().max(200).optional(),
          templateRef: z.string().max(300).optional(),
          reasons: z.array(z.string().max(2000)).max(100).optional(),
        })
        .strict(),
      req.body,
      'body',
    );
    const id = await audit(
      req,
      'gate-evaluation',
      { entityRef: body.entityRef, decision: body.decision },
      () =>
        store.recordGateEvaluation(
          {
            ...body,
            entityRef: normaliseRef(body.entityRef),
            evaluation: body.evaluation as any,
          },
          principalOf(credentials),
          new Date().toISOString(),
        ),
      'low',
    );
    res.status(201).json({ id });
  });

  // --- Roll-ups -------------------------------------------------------------------------------------------
  router.get('/dashboard', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    const query = parse(
      z
        .object({
          group: z.string().optional(),
          weeks: z.coerce.number().int().min(1).max(104).optional(),
        })
        .strict(),
      req.query,
      'query',
    );
    res.json(
      await dashboard.dashboard({
        rootGroupRef: query.group && normaliseRef(query.group, 'group'),
        weeks: query.weeks,
      }),
    );
  });

  router.get('/groups/:namespace/:name/failing-checks', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    const groupRef = stringifyEntityRef({
      kind: 'group',
      namespace: req.params.namespace,
      name: req.params.name,
    });
    res.json({ groupRef, items: await dashboard.failingChecks(groupRef) });
  });

  // --- Evidence and the history chain ---------------------------------------------------------------------
  router.get('/evidence', async (req, res) => {
    await authorize(req, complianceEvidenceExportPermission);
    const query = parse(
      z
        .object({
          scope: z
            .string()
            .regex(
              /^(org|group:.+|entity:.+)$/,
              "must be 'org', 'group:<group ref>' or 'entity:<entity ref>'",
            )
            .default('org'),
          framework: z.enum(FRAMEWORKS).optional(),
          control: z.string().optional(),
          asOf: isoDate.optional(),
          format: z.enum(['oscal', 'csv']).default('oscal'),
        })
        .strict(),
      req.query,
      'query',
    );
    let scope: EvidenceScope = { type: 'org' };
    if (query.scope.startsWith('group:'))
      scope = {
        type: 'group',
        ref: normaliseRef(query.scope.slice(6), 'group'),
      };
    if (query.scope.startsWith('entity:'))
      scope = { type: 'entity', ref: normaliseRef(query.scope.slice(7)) };
    const evidenceQuery = {
      scope,
      framework: query.framework,
      controlId: query.control,
      asOf: query.asOf ? new Date(query.asOf) : new Date(),
    };
    const exported = await audit(
      req,
      'evidence-export',
      {
        scope: query.scope,
        framework: query.framework,
        control: query.control,
        asOf: query.asOf,
        format: query.format,
      },
      () => evidence.export(evidenceQuery, query.format),
      'low',
    );
    // Sent as the exact text that was signed: scripts/verify-evidence.mjs checks it offline.
    res.setHeader('content-type', exported.contentType);
    res.setHeader(
      'content-disposition',
      `attachment; filename="${exported.filename}"`,
    );
    res.send(exported.body);
  });

  router.get('/history/verify', async (req, res) => {
    await authorize(req, complianceEvidenceExportPermission);
    res.json(await history.verify());
  });

  // The key auditors check checkpoints and evidence exports with (not secret; the id names it in every export).
  router.get('/history/public-key', async (req, res) => {
    await authorize(req, complianceEvidenceExportPermission);
    res.setHeader('content-type', 'application/x-pem-file');
    res.setHeader('x-forge-key-id', history.keyId);
    res.send(history.publicKeyPem());
  });

  router.get('/approval-check-ids', async (req, res) => {
    await authorize(req, complianceScorecardReadPermission);
    res.json(APPROVAL_CHECK_IDS);
  });

  async function httpCredentials(req: express.Request) {
    return options.httpAuth.credentials(req, { allow: ['user', 'service'] });
  }

  return router;
}
