import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  costBudgetManagePermission,
  costReadPermission,
  costUploadPermission,
  CostDimension,
} from '@internal/plugin-cost-insights-common';
import {
  createCsvStream,
  CsvColumn,
  PayloadTooLargeError,
} from '@internal/plugin-forge-node';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import fs from 'node:fs';
import { Transform, TransformCallback } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CostStore } from '../database/CostStore';
import { CostIngester } from '../ingestion/CostIngester';
import { isKnownEncoding } from '../ingestion/readFocusRecords';
import { AnomalyService } from '../service/AnomalyService';
import { BudgetService } from '../service/BudgetService';
import { CostInsightsCompatService } from '../service/CostInsightsCompatService';
import { CostQueryService } from '../service/CostQueryService';
import { CostViewService } from '../service/CostViewService';
import { RecommendationService } from '../service/RecommendationService';
import { jsonBody } from '@internal/plugin-forge-node';
import { actorOf, CostRouteGuard } from './CostRouteGuard';
import { daysQuery, parseQuery, rangeOf, rangeQuery } from './queries';

export type CostRouterOptions = {
  guard: CostRouteGuard;
  store: CostStore;
  ingester: CostIngester;
  query: CostQueryService;
  views: CostViewService;
  budgets: BudgetService;
  anomalies: AnomalyService;
  recommendations: RecommendationService;
  compat: CostInsightsCompatService;
  logger: LoggerService;
  maxUploadBytes: number;
  /** The OpenAPI document (YAML) served as JSON. */
  openApiPath: string;
  /** Called after a successful upload (alerts run on fresh data). */
  onIngested?: () => void;
};

/**
 * An upload's body, passed through until it holds more than `maxBytes`; then the stream fails and `exceeded` says
 * why, so the route answers 413 whether the size was declared (Content-Length) or only found while streaming.
 */
class UploadLimit extends Transform {
  bytes = 0;
  exceeded = false;

  constructor(private readonly maxBytes: number) {
    super();
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.exceeded = true;
      done(uploadTooLarge(this.maxBytes));
      return;
    }
    done(null, chunk);
  }
}

/** 413 for an upload over the limit: what the limit is, and the ways in that have none. */
function uploadTooLarge(maxBytes: number): PayloadTooLargeError {
  const mib =
    maxBytes >= 2 ** 20
      ? ` (${(maxBytes / 2 ** 20).toLocaleString('en-US', {
          maximumFractionDigits: 1,
        })} MiB)`
      : '';
  return new PayloadTooLargeError(
    `The file is larger than the ${maxBytes} bytes${mib} an upload may hold (forge.cost.ingestion.maxUploadBytes); nothing was stored. Send it gzip-compressed, or give Forge larger exports through the inbox folder (forge.cost.ingestion.folder) or a URL location (forge.cost.ingestion.locations), which are read as a stream without this limit`,
  );
}

const DIMENSIONS: CostDimension[] = [
  'entity',
  'group',
  'service',
  'serviceCategory',
  'provider',
  'region',
  'subAccount',
  'chargeCategory',
];

type ExportLine = Awaited<ReturnType<CostViewService['exportLines']>>[number];

/** The columns of an entity's cost export, in order. */
const EXPORT_COLUMNS: CsvColumn<ExportLine>[] = (
  [
    'day',
    'entityRef',
    'provider',
    'serviceCategory',
    'serviceName',
    'region',
    'subAccountId',
    'chargeCategory',
    'billedCost',
    'effectiveCost',
    'listCost',
    'consumedQuantity',
    'consumedUnit',
    'currency',
  ] as const
).map(header => ({ header, value: line => line[header] }));

const scopeQuery = z.object({ scope: z.string().min(1).optional() });
const intervalsQuery = z.object({ intervals: z.string().optional() });

/**
 * The cost API under /api/cost-insights: Forge's own endpoints and the Backstage Cost Insights API shapes.
 * Every route asks the guard for `forge.cost.read` (or the permission of the change) before anything else;
 * handlers validate and delegate to the services.
 */
export async function createRouter(
  options: CostRouterOptions,
): Promise<express.Router> {
  const { guard, views, query, budgets, compat } = options;
  const router = Router();
  const read = (req: Request) => guard.authorize(req, costReadPermission);
  const param = (req: Request, name: string) => String(req.params[name]);

  const openApi = parseYaml(
    await fs.promises.readFile(options.openApiPath, 'utf8'),
  );
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  // --- Cost Insights API shapes -------------------------------------------------------------------------

  router.get('/last-complete-billing-date', async (req, res) => {
    await read(req);
    res.json({ date: await compat.getLastCompleteBillingDate() });
  });

  router.get('/user-groups', async (req, res) => {
    await read(req);
    const { userId } = parseQuery(
      z.object({ userId: z.string().min(1) }),
      req.query,
    );
    res.json(await compat.getUserGroups(userId));
  });

  router.get('/groups/:group/projects', async (req, res) => {
    await read(req);
    res.json(await compat.getGroupProjects(param(req, 'group')));
  });

  router.get('/groups/:group/daily-cost', async (req, res) => {
    await read(req);
    const { intervals } = parseQuery(intervalsQuery, req.query);
    res.json(
      await compat.getGroupDailyCost(param(req, 'group'), intervals ?? ''),
    );
  });

  router.get('/projects/:project/daily-cost', async (req, res) => {
    await read(req);
    const { intervals } = parseQuery(intervalsQuery, req.query);
    res.json(
      await compat.getProjectDailyCost(param(req, 'project'), intervals ?? ''),
    );
  });

  router.get('/entities/:entityRef/daily-cost', async (req, res) => {
    await read(req);
    const { intervals } = parseQuery(intervalsQuery, req.query);
    res.json(
      await compat.getCatalogEntityDailyCost(
        param(req, 'entityRef'),
        intervals ?? '',
      ),
    );
  });

  router.get('/products', async (req, res) => {
    await read(req);
    res.json(await compat.getProducts());
  });

  router.get('/product-insights', async (req, res) => {
    await read(req);
    const q = parseQuery(
      z.object({
        product: z.string().min(1),
        group: z.string().min(1),
        intervals: z.string().min(1),
        project: z.string().min(1).optional(),
      }),
      req.query,
    );
    res.json(await compat.getProductInsights(q));
  });

  router.get('/metrics', async (req, res) => {
    await read(req);
    res.json(compat.getMetrics());
  });

  router.get('/metrics/:metric/daily', async (req, res) => {
    await read(req);
    const { intervals } = parseQuery(intervalsQuery, req.query);
    res.json(
      await compat.getDailyMetricData(param(req, 'metric'), intervals ?? ''),
    );
  });

  router.get('/groups/:group/alerts', async (req, res) => {
    await read(req);
    res.json(await compat.getAlerts(param(req, 'group')));
  });

  // --- Forge --------------------------------------------------------------------------------------------

  router.get('/cost', async (req, res) => {
    await read(req);
    const q = parseQuery(
      z.intersection(
        rangeQuery,
        scopeQuery.extend({
          by: z.enum(DIMENSIONS as [CostDimension, ...CostDimension[]], {
            error: `by must be one of ${DIMENSIONS.join(', ')}`,
          }),
        }),
      ),
      req.query,
    );
    const scope = await query.scopeOf(q.scope);
    const range = rangeOf(q, await query.lastCompleteBillingDate());
    res.json(
      await query.breakdown(scope, q.by, range.start, range.endExclusive),
    );
  });

  router.get('/overview', async (req, res) => {
    await read(req);
    const { days } = parseQuery(daysQuery, req.query);
    res.json(await views.overview(days));
  });

  router.get('/entities/:entityRef/summary', async (req, res) => {
    await read(req);
    res.json(await views.entitySummary(param(req, 'entityRef')));
  });

  router.get('/entities/:entityRef/breakdown', async (req, res) => {
    await read(req);
    const q = parseQuery(rangeQuery, req.query);
    const range = rangeOf(q, await query.lastCompleteBillingDate());
    res.json(
      await views.entityBreakdown(
        param(req, 'entityRef'),
        range.start,
        range.endExclusive,
      ),
    );
  });

  router.get('/entities/:entityRef/export.csv', async (req, res) => {
    await read(req);
    const q = parseQuery(rangeQuery, req.query);
    const range = rangeOf(q, await query.lastCompleteBillingDate());
    const ref = param(req, 'entityRef');
    const lines = await views.exportLines(ref, range.start, range.endExclusive);
    const file = `cost-${ref.replace(/[^a-z0-9-]+/gi, '-')}-${range.start}-${
      range.endExclusive
    }.csv`;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${file}"`);
    // Forge's one CSV writer: a tag, service or account name that starts a spreadsheet formula is neutralised, and
    // the figures stay numbers (a negative cost is not mistaken for a formula).
    const csv = createCsvStream(EXPORT_COLUMNS);
    csv.stream.pipe(res);
    for (const line of lines) csv.write(line);
    csv.end();
  });

  router.get('/entities/:entityRef/top-drivers', async (req, res) => {
    await read(req);
    const { days } = parseQuery(
      z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
      req.query,
    );
    res.json(await views.topDrivers(param(req, 'entityRef'), days));
  });

  router.get('/groups/:group/summary', async (req, res) => {
    await read(req);
    const { days } = parseQuery(daysQuery, req.query);
    res.json(await views.groupSummary(param(req, 'group'), days));
  });

  router.get('/forecasts', async (req, res) => {
    await read(req);
    const { scope } = parseQuery(scopeQuery, req.query);
    res.json(await query.forecast(await query.scopeOf(scope)));
  });

  router.get('/anomalies', async (req, res) => {
    await read(req);
    const q = parseQuery(
      scopeQuery.extend({
        days: z.coerce.number().int().min(1).max(366).default(30),
      }),
      req.query,
    );
    res.json(
      await options.anomalies.anomalies(await query.scopeOf(q.scope), q),
    );
  });

  router.get('/recommendations', async (req, res) => {
    await read(req);
    const { scope } = parseQuery(scopeQuery, req.query);
    res.json(
      await options.recommendations.recommendations(await query.scopeOf(scope)),
    );
  });

  router.get('/budgets', async (req, res) => {
    await read(req);
    res.json((await budgets.allStatuses()).map(b => b.status));
  });

  router.get('/budgets/:entityRef', async (req, res) => {
    await read(req);
    const scope = await query.scopeOf(param(req, 'entityRef'));
    const status = await budgets.status(scope);
    if (!status) {
      throw new NotFoundError(
        `${
          scope.ref
        } has no budget; set one with PUT /budgets/${encodeURIComponent(
          scope.ref!,
        )} or the forge.io/monthly-budget annotation`,
      );
    }
    res.json(status);
  });

  router.put(
    '/budgets/:entityRef',
    jsonBody({ limit: '10kb' }),
    async (req, res) => {
      const ref = param(req, 'entityRef');
      const budget = await guard.audited(
        req,
        {
          eventId: 'cost-budget-set',
          permission: costBudgetManagePermission,
          meta: { entityRef: ref, requested: req.body ?? null },
        },
        async credentials => {
          const result = await budgets.setBudget(
            ref,
            req.body,
            actorOf(credentials),
          );
          return {
            result,
            meta: {
              entityRef: result.entityRef,
              monthlyAmount: result.monthlyAmount,
            },
          };
        },
      );
      res.json(budget);
    },
  );

  router.delete('/budgets/:entityRef', async (req, res) => {
    const ref = param(req, 'entityRef');
    await guard.audited(
      req,
      {
        eventId: 'cost-budget-delete',
        permission: costBudgetManagePermission,
        meta: { entityRef: ref },
      },
      async () => ({ result: await budgets.deleteBudget(ref) }),
    );
    res.status(204).end();
  });

  router.post('/ingestions', async (req, res) => {
    const q = parseQuery(
      z.object({
        name: z
          .string()
          .regex(
            /^[\w .-]{1,200}$/,
            'name may hold letters, digits, spaces, dots, dashes',
          )
          .default('upload.csv'),
      }),
      req.query,
    );
    const declared = Number(req.headers['content-length'] ?? 0);
    // A declared charset other than UTF-8 (Content-Type: text/csv; charset=windows-1252) is transcoded.
    const charset = /;\s*charset="?([^";\s]+)"?/i.exec(
      String(req.headers['content-type'] ?? ''),
    )?.[1];
    if (charset && !isKnownEncoding(charset)) {
      throw new InputError(
        `charset ${charset} is not a text encoding Forge knows; declare one such as utf-8, windows-1252 or iso-8859-1`,
      );
    }
    const record = await guard.audited(
      req,
      {
        eventId: 'cost-upload',
        permission: costUploadPermission,
        meta: { name: q.name, bytes: declared || null },
      },
      async credentials => {
        if (declared > options.maxUploadBytes) {
          throw uploadTooLarge(options.maxUploadBytes);
        }
        // A body sent without its length (chunked) is measured as it streams.
        const limit = new UploadLimit(options.maxUploadBytes);
        req.on('error', error => limit.destroy(error));
        // The body streams in while the ingestion starts; a failure before it reads is seen there (stream.errored).
        limit.on('error', () => {});
        const result = await options.ingester.ingest({
          source: 'upload',
          location: `upload:${q.name}`,
          content: req.pipe(limit),
          actor: actorOf(credentials),
          maxBytes: options.maxUploadBytes,
          encoding: charset,
        });
        if (limit.exceeded) {
          // The ingestion stopped at the limit and stored nothing; its record says it was refused.
          req.unpipe(limit);
          throw uploadTooLarge(options.maxUploadBytes);
        }
        if (result.status !== 'succeeded') {
          const details = result.rejects
            .slice(0, 5)
            .map(
              r =>
                `row ${r.row}${r.column ? `, column ${r.column}` : ''}: ${
                  r.reason
                }`,
            )
            .join('; ');
          throw new InputError(
            `${result.error}${
              details ? `. Rejected: ${details}` : ''
            }. Nothing was stored; GET /api/cost-insights/ingestions/${
              result.id
            } lists every rejected row`,
          );
        }
        return {
          result,
          meta: {
            ingestionId: result.id,
            rows: result.rowCount,
            periods: result.periods,
          },
        };
      },
    );
    options.onIngested?.();
    res.status(201).json(record);
  });

  router.get('/ingestions', async (req, res) => {
    await read(req);
    const { limit } = parseQuery(
      z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      req.query,
    );
    res.json(await options.store.listIngestions({ limit }));
  });

  router.get('/ingestions/:id', async (req, res) => {
    await read(req);
    const record = await options.store.getIngestion(param(req, 'id'));
    if (!record) throw new NotFoundError(`No ingestion ${param(req, 'id')}`);
    res.json(record);
  });

  return router;
}
