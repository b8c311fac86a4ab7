import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

const ROOT = path.resolve(resolvePackagePath('backend'), '../..');

/**
 * A day's charge for the entity a `forge-project` billing tag names. Each export is a billing account's whole
 * billing period (a later export of the same account and period replaces it, as providers reissue them), so
 * exports that add up name different accounts.
 */
export type Charge = {
  day: string;
  project: string;
  cost: number;
  billingAccount: string;
};

/**
 * A FOCUS 1.0 export as providers write it: the columns of the real sample in data/focus-sample (header taken
 * from it), strings quoted, NULL for no value. One hourly line per charge.
 */
export function focusCsv(charges: Charge[]): string {
  const header = fs
    .readFileSync(
      path.join(ROOT, 'data/focus-sample/focus_sample_1000.csv'),
      'utf8',
    )
    .split('\n', 1)[0]
    .trim();
  const columns = header.split(',').map(c => c.replace(/"/g, ''));
  const q = (v: string) => `"${v}"`;
  const lines = charges.map(({ day, project, cost, billingAccount }) => {
    const month = day.slice(0, 7);
    const next = new Date(`${month}-01T00:00:00Z`);
    next.setUTCMonth(next.getUTCMonth() + 1);
    const values: Record<string, string> = {
      BilledCost: cost.toFixed(11),
      EffectiveCost: cost.toFixed(11),
      ListCost: cost.toFixed(11),
      ContractedCost: cost.toFixed(11),
      BillingAccountId: q(billingAccount),
      BillingAccountName: q('Meridian Mutual'),
      BillingCurrency: q('USD'),
      BillingPeriodStart: q(`${month}-01 00:00:00`),
      BillingPeriodEnd: q(`${next.toISOString().slice(0, 10)} 00:00:00`),
      ChargeCategory: q('Usage'),
      ChargeDescription: q('Compute for the replica test'),
      ChargeFrequency: q('Usage-Based'),
      ChargePeriodStart: q(`${day} 00:00:00`),
      ChargePeriodEnd: q(`${day} 01:00:00`),
      ConsumedQuantity: '1',
      ConsumedUnit: q('Hours'),
      InvoiceIssuerName: q('Amazon Web Services, Inc.'),
      PricingCategory: q('Standard'),
      PricingQuantity: '1',
      PricingUnit: q('Hours'),
      ProviderName: q('AWS'),
      PublisherName: q('Amazon Web Services, Inc.'),
      RegionId: q('eu-west-1'),
      RegionName: q('Europe (Ireland)'),
      ResourceId: q(`i-${project}`),
      ServiceCategory: q('Compute'),
      ServiceName: q('Amazon Elastic Compute Cloud'),
      SkuId: q('SKU1'),
      SkuPriceId: q('SKU1.PRICE'),
      SubAccountId: q('111122223333'),
      SubAccountName: q('Replica test'),
      Tags: q(`{""forge-project"": ""${project}""}`),
    };
    return columns.map(c => values[c] ?? 'NULL').join(',');
  });
  return `${header}\n${lines.join('\n')}\n`;
}

/**
 * A cost export URL (`forge.cost.ingestion.locations`) the test controls: absent (404) until it is published, then
 * served with an ETag, either at once or dribbled out over `slowMs` so a replica is still reading it when the test
 * kills that replica.
 */
export class ExportServer {
  private body: string | undefined;
  private slowMs = 0;
  private readonly server: http.Server;
  /** Requests that received the whole export. */
  completed = 0;
  /** Requests whose client went away before the end. */
  interrupted = 0;
  private onSlowStart?: () => void;

  private constructor(readonly port: number) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  static async start(port: number): Promise<ExportServer> {
    const s = new ExportServer(port);
    await new Promise<void>(resolve =>
      s.server.listen(port, '127.0.0.1', resolve),
    );
    return s;
  }

  get url() {
    return `http://localhost:${
      (this.server.address() as AddressInfo).port
    }/focus.csv`;
  }

  /** Serves `body` from now on; the next request is dribbled out over `slowMs`. Resolves when that one starts. */
  publishSlowly(body: string, slowMs: number): Promise<void> {
    this.body = body;
    this.slowMs = slowMs;
    return new Promise(resolve => {
      this.onSlowStart = resolve;
    });
  }

  /** Serves the export at once from now on. */
  serveFast() {
    this.slowMs = 0;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = this.body;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${body.length}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv', etag });
    if (!this.slowMs) {
      res.end(body, () => {
        this.completed += 1;
      });
      return;
    }
    const started = this.onSlowStart;
    this.onSlowStart = undefined;
    started?.();
    const slices = 20;
    const size = Math.ceil(body.length / slices);
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        return;
      }
      res.write(body.slice(i * size, (i + 1) * size));
      i += 1;
      if (i === slices) {
        clearInterval(timer);
        res.end(() => {
          this.completed += 1;
        });
      }
    }, this.slowMs / slices);
    res.on('close', () => {
      clearInterval(timer);
      if (!res.writableFinished) this.interrupted += 1;
    });
  }
}
