import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { NotModifiedError } from '@backstage/errors';
import {
  IngestionRecord,
  toIsoDay,
} from '@internal/plugin-cost-insights-common';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CostStore } from '../database/CostStore';
import { demoFocusCsv } from '../demo/generateDemoFocusRows';
import { CostIngester } from './CostIngester';

const EXPORT_FILE = /\.csv(\.gz)?$/i;
const DEMO_LOCATION = /^demo:seed=(-?\d+);days=(\d+);end=(\d{4}-\d{2}-\d{2})$/;

export type CostSourceSettings = {
  folder: string;
  locations: string[];
  demoData: { enabled: boolean; days: number; seed: number };
};

/**
 * A URL as ingestion records show it: without credentials or query (an Azure SAS token, a signed S3 URL).
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * Finds FOCUS exports to ingest: files in the configured folder and exports at the configured URLs, plus the
 * demo data on first start. A source is read again only when it changed (size and modification time of a file,
 * ETag of a URL) or when the attribution rules changed since it was last ingested (a new `forge.io/cost-tags`
 * annotation attributes its history too).
 */
export class CostSourceScanner {
  constructor(
    private readonly options: {
      store: CostStore;
      ingester: CostIngester;
      urlReader: UrlReaderService;
      logger: LoggerService;
      settings: CostSourceSettings;
      /** Resolves when the catalog can attribute cost (the demo waits for it on first start). */
      catalogReady?: () => Promise<void>;
      today?: () => string;
    },
  ) {}

  /** Creates the inbox folder, so that whoever drops exports there finds it (called at start-up). */
  async prepare(): Promise<void> {
    await fs.promises.mkdir(this.options.settings.folder, { recursive: true });
  }

  /**
   * Ingests every source that needs it; returns the records of what was ingested. Ingestions interrupted by a crash
   * (their lease expired) are marked failed first, so their sources are read again now.
   */
  async scan(): Promise<IngestionRecord[]> {
    const interrupted = await this.options.store.failInterruptedIngestions();
    if (interrupted > 0) {
      this.options.logger.warn(
        `${interrupted} cost ingestion(s) were interrupted by a stopped backend; their sources are read again`,
      );
    }
    const records: IngestionRecord[] = [];
    const fingerprint = (await this.options.ingester.attributor()).fingerprint;
    records.push(...(await this.scanDemo(fingerprint)));
    records.push(...(await this.scanFolder(fingerprint)));
    for (const url of this.options.settings.locations) {
      const record = await this.scanUrl(url, fingerprint);
      if (record) records.push(record);
    }
    return records;
  }

  private async scanFolder(fingerprint: string): Promise<IngestionRecord[]> {
    const { folder } = this.options.settings;
    let names: string[];
    try {
      names = await fs.promises.readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: IngestionRecord[] = [];
    for (const name of names.filter(n => EXPORT_FILE.test(n)).sort()) {
      const file = path.join(folder, name);
      const stat = await fs.promises.stat(file);
      if (!stat.isFile()) continue;
      // Recorded by its name in the inbox: the server's paths are nobody's business.
      const location = `inbox/${name}`;
      const etag = `${stat.size}-${Math.round(stat.mtimeMs)}`;
      if (await this.isCurrent(location, etag, fingerprint)) continue;
      const record = await this.options.ingester.ingestUnlessBusy({
        source: 'folder',
        location,
        sourceEtag: etag,
        content: fs.createReadStream(file),
      });
      if (record) records.push(record);
    }
    return records;
  }

  private async scanUrl(
    url: string,
    fingerprint: string,
  ): Promise<IngestionRecord | undefined> {
    const last = await this.options.store.lastIngestion(displayUrl(url));
    const sameRules = last?.attributionFingerprint === fingerprint;
    let response;
    try {
      response = await this.options.urlReader.readUrl(url, {
        etag:
          sameRules || last?.status === 'rejected'
            ? last?.sourceEtag
            : undefined,
      });
    } catch (error) {
      if (error instanceof NotModifiedError) return undefined;
      this.options.logger.warn(
        `Could not read the cost export at ${url}`,
        error as Error,
      );
      return undefined;
    }
    if (
      last &&
      response.etag &&
      (await this.isCurrent(displayUrl(url), response.etag, fingerprint))
    ) {
      return undefined;
    }
    const content = response.stream
      ? response.stream()
      : Readable.from([await response.buffer()]);
    return this.options.ingester.ingestUnlessBusy({
      source: 'url',
      location: displayUrl(url),
      sourceEtag: response.etag,
      content,
    });
  }

  /** Loads the demo data on first start, and again (same days) when the attribution rules change. */
  private async scanDemo(fingerprint: string): Promise<IngestionRecord[]> {
    const { demoData } = this.options.settings;
    if (!demoData.enabled) return [];
    const [demo] = await this.options.store.listIngestions({
      limit: 1,
      source: 'demo',
      status: 'succeeded',
    });
    if (!demo) {
      if (await this.options.store.hasRollups()) return [];
      await this.options.catalogReady?.();
      const endDay = this.options.today?.() ?? toIsoDay(new Date());
      const location = `demo:seed=${demoData.seed};days=${demoData.days};end=${endDay}`;
      return this.ingestDemo(location);
    }
    const last = await this.options.store.lastIngestion(demo.location);
    if (last?.attributionFingerprint === fingerprint) return [];
    return this.ingestDemo(demo.location);
  }

  private async ingestDemo(location: string): Promise<IngestionRecord[]> {
    const m = DEMO_LOCATION.exec(location)!;
    const record = await this.options.ingester.ingestUnlessBusy({
      source: 'demo',
      location,
      content: demoFocusCsv({
        seed: Number(m[1]),
        days: Number(m[2]),
        endDay: m[3],
      }),
    });
    return record ? [record] : [];
  }

  /** Whether the last ingestion of a source saw the same content under the same attribution rules. */
  private async isCurrent(
    location: string,
    etag: string,
    fingerprint: string,
  ): Promise<boolean> {
    const last = await this.options.store.lastIngestion(location);
    if (!last || last.sourceEtag !== etag) return false;
    if (last.status === 'rejected') return true; // the same bytes would be refused again
    if (last.status === 'failed') return false;
    return last.attributionFingerprint === fingerprint;
  }
}
