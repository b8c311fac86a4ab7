import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  IngestionRecord,
  IngestionSource,
  RejectedRow,
} from '@internal/plugin-cost-insights-common';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Readable } from 'node:stream';
import { AttributionConfig, Attributor } from '../attribution/Attributor';
import { CostCatalog } from '../catalog/CostCatalog';
import { hideServerPaths, readErrorMessage, ServerPath } from './serverPaths';
import { CostStore, IngestionOutcome } from '../database/CostStore';
import { FocusFileError, FocusRowReader, isCharge } from './FocusRowReader';
import { csvFocusSource, FocusReadError } from './readFocusRecords';
import { FocusSource, isFocusSource } from './sources/FocusSource';
import { RollupAccumulator, SumOverflowError } from './RollupAccumulator';
import { replacedPeriods } from './replacedPeriods';

/** At most this many rejected rows are kept in detail; all are counted. */
const MAX_REJECTS_KEPT = 100;

export type IngestionRequest = {
  source: IngestionSource;
  /** Where the file came from: a path, a URL, `upload:<name>`, `query:<name>`. */
  location: string;
  /** A CSV export's bytes (plain or gzip), or a prepared source (Parquet, an export's parts, a query). */
  content: Readable | FocusSource;
  actor?: string;
  maxBytes?: number;
  /** ETag of a URL, or size and modification time of a file. */
  sourceEtag?: string;
  /** The export and billing period of a snapshot in a folder of its own (NewIngestion.sourceGroup). */
  sourceGroup?: string;
  /** The text encoding the file declares (an upload's charset), when not UTF-8. */
  encoding?: string;
  /** Folders of the server its messages must not show (the inbox, a query's paths): hideServerPaths names them. */
  serverPaths?: ServerPath[];
};

/**
 * Ingests one FOCUS export: streams and validates its rows, attributes each to a catalog entity, sums them into
 * daily rollups and replaces the billing periods the file covers, in one transaction. A file with any rejected
 * row stores nothing; what was stored before stays as it was. Every file leaves an ingestion record.
 */
export class CostIngester {
  constructor(
    private readonly options: {
      store: CostStore;
      catalog: CostCatalog;
      attribution: AttributionConfig;
      gpuPattern: RegExp;
      logger: LoggerService;
      /** How long a running ingestion's lease lasts unless renewed (renewed every third of it). Default 30 s. */
      leaseMs?: number;
    },
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  private readonly leaseMs: number;
  /** This process, as the owner of the leases it takes: host, pid and a random id (a restarted pid 1 is new). */
  private readonly owner = `${os.hostname()}:${
    process.pid
  }:${randomUUID().slice(0, 8)}`;

  private lease() {
    return {
      owner: this.owner,
      expiresAt: new Date(Date.now() + this.leaseMs),
    };
  }

  /** The attribution rules as they are now (their fingerprint tells whether stored files are stale). */
  async attributor(): Promise<Attributor> {
    const snapshot = await this.options.catalog.snapshot();
    return new Attributor(snapshot, this.options.attribution);
  }

  /** Ingests a file (an upload, or a source known to be free). */
  async ingest(request: IngestionRequest): Promise<IngestionRecord> {
    const record = await this.ingestUnlessBusy(request);
    if (!record) {
      throw new Error(
        `${request.location} is being ingested by another process`,
      );
    }
    return record;
  }

  /**
   * Ingests a source unless a live process (this one or another replica) is ingesting it already: then undefined,
   * and the content is left unread. While it runs, the ingestion renews its lease, so a crash leaves a record that
   * any replica recognises as interrupted once the lease has expired.
   */
  async ingestUnlessBusy(
    request: IngestionRequest,
  ): Promise<IngestionRecord | undefined> {
    const { store, logger } = this.options;
    const id = await store.startIngestion({
      source: request.source,
      location: request.location,
      actor: request.actor,
      sourceEtag: request.sourceEtag,
      sourceGroup: request.sourceGroup,
      lease: this.lease(),
    });
    if (!id) {
      if (!isFocusSource(request.content)) request.content.destroy();
      return undefined;
    }
    let renewing = false;
    const heartbeat = setInterval(() => {
      // One renewal at a time: a renewal waiting on a busy database must not pile up connections.
      if (renewing) return;
      renewing = true;
      store
        .renewIngestionLease(id, this.lease())
        .then(renewed => {
          // Failed as interrupted meanwhile: storing is refused (replaceBillingPeriods checks the lease).
          if (!renewed) logger.warn(`Ingestion ${id} lost its lease`);
        })
        .catch(error =>
          logger.warn(`Could not renew the lease of ingestion ${id}`, error),
        )
        .finally(() => {
          renewing = false;
        });
    }, this.leaseMs / 3);
    let outcome: IngestionOutcome;
    try {
      outcome = await this.read(id, request);
    } catch (error) {
      const refused =
        error instanceof FocusFileError ||
        error instanceof FocusReadError ||
        error instanceof InputError ||
        // An entity's day summed past what Forge sums exactly (DatabaseCostStore): nothing was stored.
        error instanceof SumOverflowError;
      // A fault in the bytes at a known line (not CSV, not UTF-8) is that line's rejection too.
      const row = error instanceof FocusReadError ? error.row : undefined;
      const file = error instanceof FocusReadError ? error.file : undefined;
      // Members read the record: an operating-system error names the file as records do, never by its server path.
      const message = hideServerPaths(
        readErrorMessage(error),
        request.serverPaths ?? [],
      );
      outcome = {
        status: refused ? 'rejected' : 'failed',
        rowCount: 0,
        rejectedRowCount: row ? 1 : 0,
        rejects: row
          ? [
              {
                ...(file ? { file } : {}),
                row,
                reason: message
                  .replace(file ? `${file}: ` : '', '')
                  .replace(/^(Line|Row) \d+: /, ''),
              },
            ]
          : [],
        totals: {},
        periods: [],
        rollupCount: 0,
        error: message,
      };
      if (!refused) {
        logger.error(
          `Cost ingestion of ${request.location} failed`,
          error as Error,
        );
      }
    }
    clearInterval(heartbeat);
    if (!(await store.finishIngestion(id, outcome, this.lease()))) {
      logger.warn(
        `Cost ingestion of ${request.location} was marked interrupted while it ran; its record stays so`,
      );
      return (await store.getIngestion(id))!;
    }
    logger.info(
      `Cost ingestion of ${request.location}: ${outcome.status}, ${outcome.rowCount} rows, ${outcome.rejectedRowCount} rejected, ${outcome.rollupCount} rollups`,
    );
    return (await store.getIngestion(id))!;
  }

  private async read(
    ingestionId: string,
    request: IngestionRequest,
  ): Promise<IngestionOutcome> {
    const attributor = await this.attributor();
    const accumulator = new RollupAccumulator();
    const source = isFocusSource(request.content)
      ? request.content
      : csvFocusSource(request.content, {
          maxBytes: request.maxBytes ?? Number.MAX_SAFE_INTEGER,
          encoding: request.encoding,
        });
    let reader: FocusRowReader | undefined;
    let version: FocusRowReader['version'] | undefined;
    /** The file being read, for an export of several. */
    let file: string | undefined;
    let rowCount = 0;
    let rejectedRowCount = 0;
    const rejects: RejectedRow[] = [];
    const reject = (row: number, reason: string, column?: string) => {
      rejectedRowCount += 1;
      if (rejects.length < MAX_REJECTS_KEPT)
        rejects.push(
          file ? { file, row, column, reason } : { row, column, reason },
        );
    };

    await source.read({
      header: (columns, part) => {
        file = part;
        try {
          reader = new FocusRowReader(columns.map(String), {
            gpuPattern: this.options.gpuPattern,
          });
        } catch (error) {
          if (part && error instanceof FocusFileError) {
            throw new FocusFileError(`${part}: ${error.message}`);
          }
          throw error;
        }
        version ??= reader.version;
        return {
          columns: reader.columnsRead(),
          numeric: reader.numericColumns(),
        };
      },
      row: (fields, fractions, line, weight) => {
        rowCount += weight;
        const charge = reader!.read(fields, fractions);
        if (!isCharge(charge)) {
          reject(line, charge.reason, charge.column);
          return;
        }
        const attribution = attributor.attribute(
          charge.tags,
          charge.subAccountId,
        );
        if ('error' in attribution) {
          reject(line, attribution.error, charge.tagsColumn);
          return;
        }
        // Once the file is refused, its rows are still checked (to report them all) but no longer summed.
        if (rejectedRowCount === 0) {
          try {
            accumulator.add(charge, attribution.entityRef, weight);
          } catch (error) {
            if (!(error instanceof SumOverflowError)) throw error;
            reject(line, `adding this row: ${error.message}`);
          }
        }
      },
    });
    if (!reader) {
      throw new FocusFileError(
        'The file is empty; a FOCUS export starts with a header line naming its columns',
      );
    }

    const base = {
      contentHash: source.contentHash(),
      attributionFingerprint: attributor.fingerprint,
      focusVersion: version,
      rowCount,
      rejectedRowCount,
      rejects,
    };
    if (rejectedRowCount > 0) {
      const first = rejects[0];
      return {
        ...base,
        status: 'rejected',
        totals: {},
        periods: [],
        rollupCount: 0,
        error: `${rejectedRowCount} of ${rowCount} rows were rejected, so nothing was stored; first: ${
          first.file ? `${first.file}, ` : ''
        }row ${first.row}${first.column ? `, column ${first.column}` : ''}: ${
          first.reason
        }`,
      };
    }
    const result = accumulator.result();
    const { rollups } = result;
    // What the store replaced: these periods, and those of accounts the source's earlier delivery held and this
    // one no longer does (withdrawn), which the record lists too; of a source read again unchanged (new attribution
    // rules), only the periods it still holds.
    const periods = await this.options.store.replaceBillingPeriods(
      ingestionId,
      replacedPeriods(result.periods, rollups, source.coverage),
      rollups,
      {
        contentHash: base.contentHash,
        ...(source.coverage ? { coverage: source.coverage } : {}),
        lease: this.lease(),
      },
    );
    return {
      ...base,
      status: 'succeeded',
      totals: accumulator.totals,
      periods,
      rollupCount: rollups.length,
    };
  }
}
