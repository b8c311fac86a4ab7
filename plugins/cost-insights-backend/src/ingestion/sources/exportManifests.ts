// The manifests cloud providers write beside their FOCUS exports, and what they say: which files make one snapshot of
// a billing period. The formats (docs/cost.md, "Exports with a manifest", cites the sources):
//
// - AWS Data Exports writes `<export>/data/BILLING_PERIOD=YYYY-MM/...` (gzip CSV or Parquet parts, with "create new"
//   one folder per execution, each a full snapshot of the period) and, after every part is delivered,
//   `<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`: `executionId`, `exportArn`, `columns`,
//   `dataFiles` (full S3 URIs of the parts of that execution) and the `billingPeriod` it covers.
// - Azure Cost Management exports write each run into its own folder
//   (`<path>/<export>/<YYYYMMDD-YYYYMMDD>/<run time>/<guid>/`), partitioned into parts listed by the run's
//   `manifest.json`: `exportConfig` (exportName, resourceId, type FocusCost, dataVersion), `deliveryConfig`,
//   `runInfo` (runId, submittedTime, startDate, endDate) and `blobs` (blobName and byteCount of each part).
import path from 'node:path';
import { z } from 'zod';
import { FocusFileError } from '../FocusRowReader';

/** A manifest's file name: `<export>-Manifest.json` (AWS) or `manifest.json` (Azure). */
export const MANIFEST_FILE = /(^|-)manifest\.json$/i;

/** The largest manifest read (AWS and Azure manifests list parts, a few KB). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

const ref = z.string().min(1).max(4096);

const awsManifest = z.object({
  executionId: z.string().min(1).max(512),
  exportArn: z.string().max(2048).optional(),
  dataFiles: z.array(ref).max(100_000),
  billingPeriod: z
    .object({ start: z.string().max(64), end: z.string().max(64) })
    .partial()
    .optional(),
});

const azureManifest = z.object({
  exportConfig: z
    .object({
      exportName: z.string().max(512).optional(),
      resourceId: z.string().max(2048).optional(),
      type: z.string().max(128).optional(),
      dataVersion: z.string().max(64).optional(),
    })
    .optional(),
  runInfo: z.object({
    runId: z.string().max(512).optional(),
    submittedTime: z.string().max(64),
    startDate: z.string().max(64).optional(),
    endDate: z.string().max(64).optional(),
  }),
  blobs: z
    .array(
      z.object({
        blobName: ref,
        byteCount: z.number().int().nonnegative().optional(),
      }),
    )
    .max(100_000),
});

/** One snapshot of an export: the files a manifest lists, to be ingested together. */
export type ExportSnapshot = {
  kind: 'aws' | 'azure';
  /**
   * Snapshots with the same group are of the same export and billing period, each complete in itself: only the
   * latest complete one counts.
   */
  group: string;
  /** AWS executionId, Azure runId. */
  id: string;
  /** When it was taken (ms since the epoch) when the manifest says so (Azure's submittedTime). */
  takenAt?: number;
  /** The billing period, YYYY-MM, when known. */
  period?: string;
  /** The data files as the manifest names them (an S3 URI, a blob name), with their size when it is given. */
  files: Array<{ ref: string; bytes?: number }>;
  /**
   * The days the snapshot covers, when the manifest declares them (Azure's runInfo startDate and endDate, the last
   * day included): where they are narrower than a billing period, only those days of it are replaced.
   */
  coverage?: DayRange;
};

/** Days from `from` to `to`, both included, as YYYY-MM-DD. */
export type DayRange = { from: string; to: string };

const DATE = /^(\d{4}-\d{2}-\d{2})(?:$|T)/;

/** The days runInfo startDate..endDate declare, or undefined when either is absent; refused when not dates. */
function coverageOf(
  startDate: string | undefined,
  endDate: string | undefined,
): DayRange | undefined {
  if (startDate === undefined || endDate === undefined) return undefined;
  const from = DATE.exec(startDate)?.[1];
  const to = DATE.exec(endDate)?.[1];
  const valid = (day: string | undefined) => {
    const time = Date.parse(`${day}T00:00:00Z`);
    return (
      day !== undefined &&
      !Number.isNaN(time) &&
      new Date(time).toISOString().slice(0, 10) === day
    );
  };
  if (!valid(from) || !valid(to) || to! < from!) {
    throw new FocusFileError(
      `runInfo startDate "${startDate.slice(
        0,
        40,
      )}" and endDate "${endDate.slice(
        0,
        40,
      )}" are not the days of a run (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss, the end not before the start); the manifest is refused until they are`,
    );
  }
  return { from: from!, to: to! };
}

const PERIOD_IN_PATH = /BILLING_PERIOD=(\d{4}-\d{2})/;

function monthOf(timestamp: string | undefined): string | undefined {
  const m = /^(\d{4})-?(\d{2})/.exec(timestamp ?? '');
  return m ? `${m[1]}-${m[2]}` : undefined;
}

function problems(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map(i => `${i.path.join('.') || 'the document'}: ${i.message}`)
    .join('; ');
}

/**
 * Reads a manifest (its text) as the snapshot it describes. Throws a FocusFileError saying what is wrong when it is
 * neither an AWS Data Exports manifest nor an Azure Cost Management one, or when it describes no FOCUS export.
 */
export function parseExportManifest(text: string): ExportSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FocusFileError(
      `The manifest is not JSON (${(error as Error).message})`,
    );
  }
  if (json && typeof json === 'object' && 'dataFiles' in json) {
    const parsed = awsManifest.safeParse(json);
    if (!parsed.success) {
      throw new FocusFileError(
        `Not an AWS Data Exports manifest as Forge reads them: ${problems(
          parsed.error,
        )}`,
      );
    }
    const m = parsed.data;
    const period =
      monthOf(m.billingPeriod?.start) ??
      m.dataFiles.map(f => PERIOD_IN_PATH.exec(f)?.[1]).find(Boolean);
    return {
      kind: 'aws',
      group: `aws|${m.exportArn ?? ''}|${period ?? ''}`,
      id: m.executionId,
      period,
      files: m.dataFiles.map(f => ({ ref: f })),
    };
  }
  if (json && typeof json === 'object' && 'blobs' in json) {
    const parsed = azureManifest.safeParse(json);
    if (!parsed.success) {
      throw new FocusFileError(
        `Not an Azure Cost Management export manifest as Forge reads them: ${problems(
          parsed.error,
        )}`,
      );
    }
    const m = parsed.data;
    const type = m.exportConfig?.type;
    if (type && !/focus/i.test(type)) {
      throw new FocusFileError(
        `This Cost Management export is of type ${type}; Forge reads FOCUS exports (type FocusCost, "Cost and usage details (FOCUS)")`,
      );
    }
    const takenAt = Date.parse(m.runInfo.submittedTime);
    if (Number.isNaN(takenAt)) {
      throw new FocusFileError(
        `runInfo.submittedTime "${m.runInfo.submittedTime.slice(
          0,
          40,
        )}" is not a timestamp`,
      );
    }
    const period = monthOf(m.runInfo.startDate);
    const coverage = coverageOf(m.runInfo.startDate, m.runInfo.endDate);
    const exportId =
      m.exportConfig?.resourceId ?? m.exportConfig?.exportName ?? '';
    return {
      kind: 'azure',
      group: `azure|${exportId.toLowerCase()}|${m.runInfo.startDate ?? ''}`,
      id: m.runInfo.runId ?? m.runInfo.submittedTime,
      takenAt,
      period,
      files: m.blobs.map(b => ({ ref: b.blobName, bytes: b.byteCount })),
      ...(coverage ? { coverage } : {}),
    };
  }
  throw new FocusFileError(
    'Not an export manifest Forge knows: an AWS Data Exports manifest lists dataFiles, an Azure Cost Management one blobs',
  );
}

/** The bucket and key of an S3 URI. */
function s3Parts(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) {
    throw new FocusFileError(
      `dataFiles entry "${uri.slice(0, 200)}" is not an s3:// URI`,
    );
  }
  return { bucket: m[1], key: m[2] };
}

function relativeSegments(name: string): string[] {
  const segments = name.split('/').filter(s => s !== '' && s !== '.');
  if (segments.some(s => s === '..' || s.includes('\\'))) {
    throw new FocusFileError(
      `The data file "${name.slice(0, 200)}" has a path Forge does not follow`,
    );
  }
  return segments;
}

/**
 * Where a data file of a manifest read from a folder lies, under that folder. An AWS export keeps its layout:
 * `<export>/metadata/<partition>/<export>-Manifest.json` names `s3://bucket/.../<export>/data/...`, found at
 * `<export>/data/...`; a manifest kept elsewhere finds its files beside it by name. An Azure run folder holds its
 * manifest and its parts. Throws when the result would leave `root`.
 */
export function localPartPath(
  snapshot: ExportSnapshot,
  manifestPath: string,
  file: string,
  root: string,
): string {
  const dir = path.dirname(manifestPath);
  let resolved: string;
  if (snapshot.kind === 'aws') {
    const segments = relativeSegments(s3Parts(file).key);
    const data = segments.lastIndexOf('data');
    const exportRoot = path.dirname(path.dirname(dir));
    resolved =
      path.basename(path.dirname(dir)) === 'metadata' && data >= 0
        ? path.join(exportRoot, ...segments.slice(data))
        : path.join(dir, segments[segments.length - 1]);
  } else {
    const segments = relativeSegments(file);
    resolved = path.join(dir, segments[segments.length - 1]);
  }
  const relative = path.relative(root, resolved);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new FocusFileError(
      `The data file ${file.slice(0, 200)} would lie outside the inbox`,
    );
  }
  return resolved;
}

function encodeKey(key: string): string {
  return relativeSegments(key).map(encodeURIComponent).join('/');
}

/**
 * The URL of a data file of a manifest read from `manifestUrl`, in the same store: an S3 URI becomes a URL of the
 * manifest's host (virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com/<key>` or path-style
 * `https://<host>/<bucket>/<key>`), which the S3 URL reader reads with its credentials; an Azure blob name becomes a
 * URL in the manifest's container, keeping the manifest URL's query (a SAS token grants the container).
 */
export function partUrl(
  snapshot: ExportSnapshot,
  manifestUrl: string,
  file: string,
): string {
  const url = new URL(manifestUrl);
  if (snapshot.kind === 'aws') {
    const { bucket, key } = s3Parts(file);
    if (url.hostname.startsWith(`${bucket}.`)) {
      return `${url.origin}/${encodeKey(key)}`;
    }
    if (url.pathname.startsWith(`/${bucket}/`)) {
      return `${url.origin}/${encodeURIComponent(bucket)}/${encodeKey(key)}`;
    }
    throw new FocusFileError(
      `The data file ${file.slice(
        0,
        200,
      )} is not in the bucket the manifest was read from (${url.host})`,
    );
  }
  const container = url.pathname.split('/').filter(Boolean)[0];
  if (!container) {
    throw new FocusFileError(
      'The manifest URL names no container, so its blobs cannot be found',
    );
  }
  return `${url.origin}/${container}/${encodeKey(file)}${url.search}`;
}
