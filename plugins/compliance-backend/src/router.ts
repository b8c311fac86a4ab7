import express from 'express';
import Router from 'express-promise-router';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { Entity } from '@backstage/catalog-model';
import { parse as parseYaml } from 'yaml';
import {
  APPROVAL_CHECK_IDS,
  complianceEvaluatePermission,
  complianceEvidenceExportPermission,
  complianceEvidenceTimePermission,
  complianceExemptionApprovePermission,
  complianceExemptionRequestPermission,
  complianceFactsPushPermission,
  complianceGateRecordPermission,
  compliancePolicyReloadPermission,
  complianceScorecardReadPermission,
  FRAMEWORKS,
} from '@internal/plugin-compliance-common';
import {
  Caller,
  ForgeGuard,
  jsonBody,
  normalizeEntityRef,
  rfc3339DateOrTimestamp,
  rfc3339Timestamp,
  sameEntityRef,
} from '@internal/plugin-forge-node';
import { ComplianceStore } from './database/ComplianceStore';
import { ComplianceService } from './service/ComplianceService';
import { DashboardService } from './service/DashboardService';
import { EvidenceScope, EvidenceService } from './service/EvidenceService';
import {
  describeExemption,
  exemptionEntityRef,
  ExemptionService,
} from './service/ExemptionService';
import { PolicyPackLoader } from './service/PolicyPackLoader';
import { assertFactAllowedFor } from './service/blueprintEvidence';
import { HistoryService } from './service/HistoryService';

export interface RouterOptions {
  /** Permission, audit and actor naming of every route (shared by every Forge plugin). */
  guard: ForgeGuard;
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

/** An "as of" date: a day or an RFC 3339 timestamp, not in the future (evidence of a date to come would be made up). */
const isoDate = rfc3339DateOrTimestamp({ notInFuture: true });

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
    // RFC 3339 and not in the future: a fact dated ahead would keep freshness checks passing for ever.
    collectedAt: rfc3339Timestamp({ notInFuture: true }),
    source: z.string().max(200).optional(),
    data: z
      .record(z.string(), z.unknown())
      .refine(
        d => JSON.stringify(d).length <= 64_000,
        'must be at most 64 kB of JSON',
      ),
  })
  .strict();

function refFromParams(params: Record<string, string>): string {
  return normalizeEntityRef({
    kind: params.kind,
    namespace: params.namespace,
    name: params.name,
  });
}

function normaliseRef(value: string, defaultKind = 'component'): string {
  return normalizeEntityRef(value, { defaultKind });
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    guard,
    loader,
    compliance,
    exemptions,
    evidence,
    dashboard,
    store,
    history,
  } = options;
  const router = Router();
  // Bounded in size and depth: a body nested 100,000 levels deep is a 400, not a crashed validation.
  router.use(jsonBody({ limit: '1mb' }));

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
    await guard.authorize(req, complianceScorecardReadPermission);
    res.json({ items: loader.policy.packs, status: loader.loadStatus });
  });

  router.post('/policy-packs/reload', async (req, res) => {
    const status = await guard.audited(
      req,
      {
        eventId: 'policy-packs-reload',
        permission: compliancePolicyReloadPermission,
        severityLevel: 'high',
      },
      () => loader.reload(),
    );
    res.json(status);
  });

  /**
   * Who may read an exemption's free text (justification, compensating control, decision note): those who decide
   * exemptions or export evidence (compliance, security), the entity's owners and whoever filed it. Anyone else,
   * every service included (the outcomes collector, the blueprints), gets the record without it.
   */
  async function mayReadExemptionText(
    caller: Caller,
    exemption: { entityRef: string; requestedBy?: string },
  ): Promise<boolean> {
    if (
      (await guard.allows(caller, complianceExemptionApprovePermission)) ||
      (await guard.allows(caller, complianceEvidenceExportPermission))
    )
      return true;
    if (caller.type !== 'user') return false;
    if (
      exemption.requestedBy &&
      sameEntityRef(exemption.requestedBy, caller.actor)
    )
      return true;
    return guard.allows(caller, complianceExemptionRequestPermission, {
      resourceRef: exemption.entityRef,
    });
  }

  /** A scorecard as this caller may read it: an exempt check's justification only for mayReadExemptionText. */
  async function scorecardFor(
    caller: Caller,
    card: Awaited<ReturnType<typeof compliance.scorecard>>,
  ) {
    if (
      !card.results.some(r => r.exemption?.justification !== undefined) ||
      (await mayReadExemptionText(caller, { entityRef: card.entityRef }))
    )
      return card;
    return {
      ...card,
      results: card.results.map(r => {
        if (!r.exemption) return r;
        const { justification: _withheld, ...exemption } = r.exemption;
        return { ...r, exemption };
      }),
    };
  }

  // --- Scorecards -----------------------------------------------------------------------------------------
  router.get('/scorecards/:kind/:namespace/:name', async (req, res) => {
    const caller = await guard.authorize(
      req,
      complianceScorecardReadPermission,
    );
    const asOf =
      req.query.asOf === undefined
        ? undefined
        : new Date(parse(isoDate, req.query.asOf, 'asOf'));
    const card = await compliance.scorecard(refFromParams(req.params), asOf);
    res.json(await scorecardFor(caller, card));
  });

  router.get('/scorecards/:kind/:namespace/:name/history', async (req, res) => {
    await guard.authorize(req, complianceScorecardReadPermission);
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
      await guard.authorize(req, complianceScorecardReadPermission);
      res.json({
        items: await store.listGateEvaluations(refFromParams(req.params)),
      });
    },
  );

  router.post(
    '/scorecards/:kind/:namespace/:name/evaluate',
    async (req, res) => {
      const entityRef = refFromParams(req.params);
      // The caller authorized once, by the audited change, answers the scorecard too.
      const { caller, evaluations } = await guard.audited(
        req,
        {
          eventId: 'evaluate-entity',
          permission: complianceEvaluatePermission,
          severityLevel: 'low',
          meta: { entityRef },
        },
        async authorized => ({
          caller: authorized,
          evaluations: await compliance.evaluateEntities([entityRef]),
        }),
      );
      if (!evaluations[0])
        throw new NotFoundError(`No entity ${entityRef} in the catalog`);
      res.json(
        await scorecardFor(caller, await compliance.scorecard(entityRef)),
      );
    },
  );

  router.post('/dry-run', async (req, res) => {
    // The entity is a catalog document, read and scored, never stored or read as who acts: any field may be in it.
    await guard.authorize(req, complianceScorecardReadPermission, {
      freeForm: ['entity'],
    });
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
    const entityRef = refFromParams(req.params);
    // A fact's data holds a tool's findings (a CI run's own `actor`, say): stored as data, never read as who acts.
    const caller = await guard.authorize(req, complianceFactsPushPermission, {
      freeForm: ['data'],
    });
    const fact = parse(factBody, req.body, 'body');
    const evaluation = await guard.record(
      req,
      caller,
      { eventId: 'fact-push', meta: { entityRef, fact: fact.name } },
      async () => {
        assertFactAllowedFor(caller.actor, fact.name);
        return compliance.pushFact(entityRef, fact, caller.actor);
      },
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
    const caller = await guard.authorize(
      req,
      complianceScorecardReadPermission,
    );
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
    const items = await store.listExemptions({
      ...filter,
      entityRef: filter.entityRef && normaliseRef(filter.entityRef),
    });
    // An exemption's free text (its justification, compensating control and the decider's note) is withheld from
    // whoever may not read it (mayReadExemptionText).
    const decided = new Map<string, Promise<boolean>>();
    const mayRead = (e: (typeof items)[number]) => {
      const key = `${e.entityRef}\n${e.requestedBy}`;
      if (!decided.has(key)) decided.set(key, mayReadExemptionText(caller, e));
      return decided.get(key)!;
    };
    res.json({
      items: await Promise.all(
        items.map(async e => {
          if (await mayRead(e)) return e;
          const withheld: Partial<typeof e> = { ...e };
          delete withheld.justification;
          delete withheld.compensatingControl;
          delete withheld.decisionNote;
          return withheld;
        }),
      ),
    });
  });

  // Who may file what (approvals and team-wide exemptions only from the blueprints, onBehalfOf only from the
  // scaffolder's own service, lengths and dates) is the ExemptionService's to decide, for every entry point alike.
  router.post('/exemptions', async (req, res) => {
    const entityRef = exemptionEntityRef(
      parse(z.object({ entityRef: z.string().min(1) }), req.body, 'body')
        .entityRef,
    );
    const caller = await guard.authorize(
      req,
      complianceExemptionRequestPermission,
      { resourceRef: entityRef, onBehalfOf: true },
    );
    const exemption = await guard.record(
      req,
      caller,
      {
        eventId: 'exemption-request',
        meta: { entityRef },
        describe: describeExemption,
      },
      () => exemptions.request(req.body, caller.actor),
    );
    res.status(201).json(exemption);
  });

  router.post('/exemptions/:id/decision', async (req, res) => {
    const decided = await guard.audited(
      req,
      {
        eventId: 'exemption-decision',
        permission: complianceExemptionApprovePermission,
        severityLevel: 'high',
        meta: { exemptionId: req.params.id },
        describe: describeExemption,
      },
      caller => exemptions.decide(req.params.id, req.body, caller.actor),
    );
    res.json(decided);
  });

  router.post('/exemptions/:id/revoke', async (req, res) => {
    // The guard first, so that a body naming someone else as who revokes is refused and audited as such.
    const caller = await guard.authorize(
      req,
      complianceExemptionApprovePermission,
    );
    const body = parse(
      z.object({ note: z.string().max(4000).optional() }).strict(),
      req.body ?? {},
      'body',
    );
    const revoked = await guard.record(
      req,
      caller,
      {
        eventId: 'exemption-revoke',
        severityLevel: 'high',
        meta: { exemptionId: req.params.id },
        describe: describeExemption,
      },
      () => exemptions.revoke(req.params.id, caller.actor, body.note),
    );
    res.json(revoked);
  });

  // --- Scaffolder gate evidence ---------------------------------------------------------------------------
  // Evidence of the blueprint gate: only the scaffolder's own service holds this permission (a person or CI could
  // otherwise store a forged "passed").
  router.post('/gate-evaluations', async (req, res) => {
    const caller = await guard.authorize(req, complianceGateRecordPermission);
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
    const entityRef = normaliseRef(body.entityRef);
    const id = await guard.record(
      req,
      caller,
      {
        eventId: 'gate-evaluation',
        severityLevel: 'low',
        meta: { entityRef, decision: body.decision },
      },
      () =>
        store.recordGateEvaluation(
          { ...body, entityRef, evaluation: body.evaluation as any },
          caller.actor,
          new Date().toISOString(),
        ),
    );
    res.status(201).json({ id });
  });

  // --- Roll-ups -------------------------------------------------------------------------------------------
  router.get('/dashboard', async (req, res) => {
    await guard.authorize(req, complianceScorecardReadPermission);
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
    await guard.authorize(req, complianceScorecardReadPermission);
    const groupRef = normalizeEntityRef({
      kind: 'group',
      namespace: req.params.namespace,
      name: req.params.name,
    });
    res.json({ groupRef, items: await dashboard.failingChecks(groupRef) });
  });

  // --- Evidence and the history chain ---------------------------------------------------------------------
  router.get('/evidence', async (req, res) => {
    const caller = await guard.authorize(
      req,
      complianceEvidenceExportPermission,
    );
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
    const exported = await guard.record(
      req,
      caller,
      {
        eventId: 'evidence-export',
        severityLevel: 'low',
        meta: {
          scope: query.scope,
          framework: query.framework,
          control: query.control,
          asOf: query.asOf,
          format: query.format,
        },
      },
      () => evidence.export(evidenceQuery, query.format),
    );
    // Sent as the exact text that was signed: scripts/verify-evidence.mjs checks it offline.
    res.setHeader('content-type', exported.contentType);
    res.setHeader(
      'content-disposition',
      `attachment; filename="${exported.filename}"`,
    );
    res.send(exported.body);
  });

  // How long the organisation-wide export of a framework takes and how big it is, without the evidence: for the
  // outcomes collector, which needs the figure and not what auditors get (least privilege, docs/permissions.md).
  router.get('/evidence/timing', async (req, res) => {
    await guard.authorize(req, complianceEvidenceTimePermission);
    const query = parse(
      z
        .object({
          framework: z.enum(FRAMEWORKS),
          format: z.enum(['oscal', 'csv']).default('oscal'),
        })
        .strict(),
      req.query,
      'query',
    );
    const started = performance.now();
    const exported = await evidence.export(
      { scope: { type: 'org' }, framework: query.framework, asOf: new Date() },
      query.format,
    );
    res.json({
      framework: query.framework,
      format: query.format,
      durationMs: performance.now() - started,
      bytes: Buffer.byteLength(exported.body),
    });
  });

  router.get('/history/verify', async (req, res) => {
    await guard.authorize(req, complianceEvidenceExportPermission);
    res.json(await history.verify());
  });

  // The key auditors check checkpoints and evidence exports with (not secret; the id names it in every export).
  router.get('/history/public-key', async (req, res) => {
    await guard.authorize(req, complianceEvidenceExportPermission);
    res.setHeader('content-type', 'application/x-pem-file');
    res.setHeader('x-forge-key-id', history.keyId);
    res.send(history.publicKeyPem());
  });

  router.get('/approval-check-ids', async (req, res) => {
    await guard.authorize(req, complianceScorecardReadPermission);
    res.json(APPROVAL_CHECK_IDS);
  });

  return router;
}
