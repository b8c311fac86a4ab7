import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { NotFoundError, NotModifiedError } from '@backstage/errors';
import {
  IngestionRecord,
  toIsoDay,
} from '@internal/plugin-cost-insights-common';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CostStore } from '../database/CostStore';
import { demoFocusCsv } from '../demo/generateDemoFocusRows';
import { CostIngester } from './CostIngester';
import { FocusFileError } from './FocusRowReader';
import { csvFocusSource } from './readFocusRecords';
import { CostQuery, duckdbQuerySource } from './sources/duckdbQuerySource';
import {
  MANIFEST_FILE,
  MAX_MANIFEST_BYTES,
  parseExportManifest,
  partUrl,
} from './sources/exportManifests';
import {
  FocusPart,
  FocusSource,
  multiPartSource,
  refusedSource,
} from './sources/FocusSource';
import { InboxFile, InboxSnapshot, readInbox } from './sources/inboxExports';
import { parquetFileSource } from './sources/parquetSource';
import { ServerPath, serverPaths } from './serverPaths';
import {
  PARQUET_FILE,
  streamedParquetSource,
  urlPart,
} from './sources/urlSources';

/** Sources read by the scanner have no size limit but the store's; uploads have maxUploadBytes. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;
const BILLING_PERIOD = '{billingPeriod}';
const DEMO_LOCATION = /^demo:seed=(-?\d+);days=(\d+);end=(\d{4}-\d{2}-\d{2})$/;

export type CostSourceSettings = {
  folder: string;
  locations: string[];
  /** Queries returning daily FOCUS aggregates; those of an engine other than duckdb are skipped (warned at start). */
  queries?: CostQuery[];
  demoData: { enabled: boolean; days: number; seed: number };
};

/** A local export file as a source: CSV (plain or gzip) streamed, Parquet read by row group. */
export function fileSource(file: string): FocusSource {
  if (PARQUET_FILE.test(file)) return parquetFileSource(file);
  // Opened when the read starts: a stream opened before (while the ingestion is being recorded) on a file removed
  // meanwhile emits its error with nobody listening, which ends the process.
  let inner: FocusSource | undefined;
  return {
    contentHash: () => inner?.contentHash() ?? '',
    bytesRead: () => inner?.bytesRead?.() ?? 0,
    read(sink) {
      inner = csvFocusSource(fs.createReadStream(file), {
        maxBytes: UNLIMITED,
      });
      return inner.read(sink);
    },
  };
}

/** The months `{billingPeriod}` stands for on `today`: the previous and the current, YYYY-MM. */
export function billingPeriodsAround(today: string): string[] {
  const [year, month] = today.split('-').map(Number);
  const previous = new Date(Date.UTC(year, month - 2, 1));
  return [previous.toISOString().slice(0, 7), today.slice(0, 7)];
}

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

  private knownServerPaths: ServerPath[] | undefined;

  /** The inbox's and the queries' folders, which records name instead of showing (serverPaths.ts). */
  private serverPaths(): ServerPath[] {
    this.knownServerPaths ??= serverPaths(
      this.options.settings.folder,
      this.options.settings.queries ?? [],
    );
    return this.knownServerPaths;
  }

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
    for (const location of this.options.settings.locations) {
      records.push(...(await this.scanLocation(location, fingerprint)));
    }
    for (const query of this.options.settings.queries ?? []) {
      if (query.engine !== 'duckdb') continue;
      const record = await this.scanQuery(query, fingerprint);
      if (record) records.push(record);
    }
    return records;
  }

  /**
   * The inbox: export files at its top, each ingested on its own, and export folders below it, of which the latest
   * complete snapshot of each export and billing period is ingested (inboxExports.ts says why only that one).
   */
  private async scanFolder(fingerprint: string): Promise<IngestionRecord[]> {
    const inbox = await readInbox(this.options.settings.folder);
    const records: IngestionRecord[] = [];
    const ingest = async (
      file: InboxFile,
      etag: string,
      content: () => FocusSource,
      sourceGroup?: string,
    ) => {
      // Recorded by its name in the inbox: the server's paths are nobody's business.
      const location = `inbox/${file.name}`;
      if (await this.isCurrent(location, etag, fingerprint)) return;
      const record = await this.options.ingester.ingestUnlessBusy({
        source: 'folder',
        serverPaths: this.serverPaths(),
        location,
        sourceEtag: etag,
        ...(sourceGroup ? { sourceGroup } : {}),
        content: content(),
      });
      if (record) records.push(record);
    };
    for (const file of inbox.files) {
      await ingest(file, `${file.size}-${Math.round(file.mtimeMs)}`, () =>
        fileSource(file.path),
      );
    }
    for (const broken of inbox.broken) {
      // A record that says why, once per version of the manifest.
      await ingest(broken.manifest, broken.etag, () =>
        refusedSource(broken.error!),
      );
    }
    for (const snapshot of inbox.latest) {
      if (snapshot.incomplete) {
        this.options.logger.info(
          `Cost export inbox/${snapshot.manifest.name} is not complete yet (${snapshot.incomplete}); it is read once it is`,
        );
        continue;
      }
      // Every snapshot of one export and period lies in a folder of its own, yet they are one source.
      await ingest(
        snapshot.manifest,
        snapshot.etag,
        () => this.snapshotSource(snapshot),
        `inbox|${createHash('sha256')
          .update(snapshot.group)
          .digest('hex')
          .slice(0, 40)}`,
      );
    }
    return records;
  }

  private snapshotSource(snapshot: InboxSnapshot): FocusSource {
    return multiPartSource(
      snapshot.parts.map(
        (part): FocusPart => ({
          name: `inbox/${part.name}`,
          bytes: part.bytes,
          open: async () => fileSource(part.path),
        }),
      ),
      snapshot.snapshot?.coverage,
    );
  }

  /** A configured location: a file or a manifest, `{billingPeriod}` standing for the previous and current month. */
  private async scanLocation(
    location: string,
    fingerprint: string,
  ): Promise<IngestionRecord[]> {
    const urls = location.includes(BILLING_PERIOD)
      ? billingPeriodsAround(
          this.options.today?.() ?? toIsoDay(new Date()),
        ).map(period => location.replace(BILLING_PERIOD, period))
      : [location];
    const records: IngestionRecord[] = [];
    for (const url of urls) {
      const record = await this.scanUrl(url, fingerprint, {
        // A period not exported yet (early in the month) is no news.
        quietWhenMissing: urls.length > 1,
      });
      if (record) records.push(record);
    }
    return records;
  }

  private async scanUrl(
    url: string,
    fingerprint: string,
    options: { quietWhenMissing?: boolean } = {},
  ): Promise<IngestionRecord | undefined> {
    const location = displayUrl(url);
    const last = await this.options.store.lastIngestion(location);
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
      if (!(options.quietWhenMissing && error instanceof NotFoundError)) {
        this.options.logger.warn(
          `Could not read the cost export at ${location}`,
          error as Error,
        );
      }
      return undefined;
    }
    const pathname = new URL(url).pathname;
    const stream = async () =>
      response.stream
        ? response.stream()
        : Readable.from([await response.buffer()]);
    const manifest = MANIFEST_FILE.test(path.posix.basename(pathname))
      ? (await response.buffer()).toString('utf8')
      : undefined;
    const etag =
      response.etag ??
      (manifest === undefined
        ? undefined
        : createHash('sha256').update(manifest).digest('hex').slice(0, 40));
    if (last && etag && (await this.isCurrent(location, etag, fingerprint))) {
      return undefined;
    }
    let content: FocusSource;
    if (manifest !== undefined) {
      content = this.urlSnapshotSource(url, manifest);
    } else if (PARQUET_FILE.test(pathname)) {
      content = streamedParquetSource(stream, UNLIMITED);
    } else {
      content = csvFocusSource(await stream(), { maxBytes: UNLIMITED });
    }
    return this.options.ingester.ingestUnlessBusy({
      source: 'url',
      serverPaths: this.serverPaths(),
      location,
      sourceEtag: etag,
      content,
    });
  }

  /** The snapshot a manifest at a URL lists, its files read from the same store. */
  private urlSnapshotSource(manifestUrl: string, text: string): FocusSource {
    try {
      if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) {
        throw new FocusFileError(
          `The manifest is larger than the ${MAX_MANIFEST_BYTES} bytes Forge reads`,
        );
      }
      const snapshot = parseExportManifest(text);
      return multiPartSource(
        snapshot.files.map(file => {
          const url = partUrl(snapshot, manifestUrl, file.ref);
          return urlPart({
            urlReader: this.options.urlReader,
            url,
            name: displayUrl(url),
            bytes: file.bytes,
            maxBytes: UNLIMITED,
          });
        }),
        snapshot.coverage,
      );
    } catch (error) {
      if (error instanceof FocusFileError) return refusedSource(error);
      throw error;
    }
  }

  /**
   * A configured query, run when it never ran, when its SQL or the local files it reads changed, when the attribution
   * rules changed, or `refreshMinutes` after its last run.
   */
  private async scanQuery(
    query: CostQuery,
    fingerprint: string,
  ): Promise<IngestionRecord | undefined> {
    const location = `query:${query.name}`;
    const etag = await queryEtag(query);
    const last = await this.options.store.lastIngestion(location);
    const fresh =
      last?.finishedAt &&
      Date.now() - Date.parse(last.finishedAt) < query.refreshMinutes * 60_000;
    if (fresh && (await this.isCurrent(location, etag, fingerprint))) {
      return undefined;
    }
    return this.options.ingester.ingestUnlessBusy({
      source: 'query',
      serverPaths: this.serverPaths(),
      location,
      sourceEtag: etag,
      content: duckdbQuerySource(query),
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

/**
 * What a query's result depends on that Forge can see: its settings, and the size and modification time of every
 * local file under its paths (object-store paths only by their name; their changes are picked up by refreshMinutes).
 */
async function queryEtag(query: CostQuery): Promise<string> {
  const hash = createHash('sha256').update(
    JSON.stringify({ ...query, refreshMinutes: undefined }),
  );
  let entries = 0;
  const visit = async (p: string, depth: number): Promise<void> => {
    if (entries > 100_000 || depth > 12) return;
    let stat: fs.Stats;
    try {
      stat = await fs.promises.lstat(p);
    } catch {
      hash.update(`\n${p}:missing`);
      return;
    }
    entries += 1;
    if (stat.isDirectory()) {
      for (const name of (await fs.promises.readdir(p)).sort()) {
        await visit(path.join(p, name), depth + 1);
      }
    } else if (stat.isFile()) {
      hash.update(`\n${p}:${stat.size}:${stat.mtimeMs}`);
    }
  };
  for (const p of query.paths) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) hash.update(`\n${p}`);
    else await visit(path.resolve(p), 0);
  }
  return hash.digest('hex').slice(0, 40);
}
