import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FocusFileError } from '../FocusRowReader';
import {
  ExportSnapshot,
  localPartPath,
  MANIFEST_FILE,
  MAX_MANIFEST_BYTES,
  parseExportManifest,
} from './exportManifests';

/** A file dropped in the inbox on its own: CSV, CSV.gz or Parquet. */
export const EXPORT_FILE = /\.(csv(\.gz)?|parquet)$/i;

/** How deep the inbox is searched for manifests, and how many entries at most (a copied export tree is a few levels). */
const MAX_DEPTH = 12;
const MAX_ENTRIES = 200_000;

/** A file in the inbox, with the name records give it (its path in the inbox, `/`-separated). */
/** How long a part written after its manifest is taken for a delivery in progress. */
const SETTLE_MS = 10 * 60_000;

export type InboxFile = {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
};

/** A manifest found in the inbox and what it makes of the files beside it. */
export type InboxSnapshot = {
  manifest: InboxFile;
  /** Why the manifest cannot be read, if it cannot (then there is nothing else). */
  error?: FocusFileError;
  snapshot?: ExportSnapshot;
  /** Snapshots of the same export and billing period share it. */
  group: string;
  /** When it was taken: the manifest's own time, else its file's modification time. */
  takenAt: number;
  /** Its data files, in manifest order, with their size when the manifest states it. */
  parts: Array<{ path: string; name: string; bytes?: number }>;
  /** The first data file missing or of another size than stated; undefined when the snapshot is complete. */
  incomplete?: string;
  /** Changes whenever the manifest or one of its files changes. */
  etag: string;
};

function nameIn(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/**
 * Lists the inbox: the export files at its top, and the manifests anywhere below it (the folder a provider's
 * export is synced to). Symbolic links are not followed, so nothing outside the inbox is ever read.
 */
async function walk(
  root: string,
): Promise<{ files: InboxFile[]; manifests: InboxFile[] }> {
  const files: InboxFile[] = [];
  const manifests: InboxFile[] = [];
  let entries = 0;
  const visit = async (dir: string, depth: number): Promise<void> => {
    let list: fs.Dirent[];
    try {
      list = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    list.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of list) {
      entries += 1;
      if (entries > MAX_ENTRIES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH) await visit(full, depth + 1);
        continue;
      }
      if (!entry.isFile()) continue;
      const isManifest = MANIFEST_FILE.test(entry.name);
      if (!isManifest && (depth > 0 || !EXPORT_FILE.test(entry.name))) {
        continue;
      }
      const stat = await fs.promises.stat(full);
      const file = {
        path: full,
        name: nameIn(root, full),
        size: stat.size,
        mtimeMs: stat.mtimeMs,
      };
      (isManifest ? manifests : files).push(file);
    }
  };
  await visit(root, 0);
  return { files, manifests };
}

async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  try {
    const stat = await fs.promises.lstat(file);
    return stat.isFile() ? stat : undefined;
  } catch {
    return undefined;
  }
}

async function realpathOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.realpath(file);
  } catch {
    return undefined;
  }
}

/**
 * Refuses parts whose folder really lies outside the inbox: the names a manifest gives are checked without touching
 * the disk (localPartPath), and `inbox/exp/data` may be a symbolic link to a folder elsewhere on the server. The
 * folder of each part is resolved (every link followed) and must lie within the resolved inbox; a folder not there
 * leaves the part missing, which the snapshot waits for.
 */
async function refuseLinkedFolders(
  root: string,
  parts: InboxSnapshot['parts'],
): Promise<void> {
  const realRoot = await realpathOrUndefined(root);
  if (!realRoot) return;
  const checked = new Map<string, boolean>();
  for (const part of parts) {
    const dir = path.dirname(part.path);
    let inside = checked.get(dir);
    if (inside === undefined) {
      const real = await realpathOrUndefined(dir);
      const relative = real === undefined ? '' : path.relative(realRoot, real);
      inside = !(relative.startsWith('..') || path.isAbsolute(relative));
      checked.set(dir, inside);
    }
    if (!inside) {
      throw new FocusFileError(
        `The data file inbox/${part.name} lies in a folder linked from outside the inbox; Forge reads only files within the inbox. Sync the export into the inbox instead of linking to it`,
      );
    }
  }
}

async function readSnapshot(
  root: string,
  manifest: InboxFile,
): Promise<InboxSnapshot> {
  const broken = (error: FocusFileError): InboxSnapshot => ({
    manifest,
    error,
    group: `broken|${manifest.name}`,
    takenAt: manifest.mtimeMs,
    parts: [],
    etag: `${manifest.size}-${Math.round(manifest.mtimeMs)}`,
  });
  if (manifest.size > MAX_MANIFEST_BYTES) {
    return broken(
      new FocusFileError(
        `The manifest is ${manifest.size} bytes; Forge reads manifests of at most ${MAX_MANIFEST_BYTES}`,
      ),
    );
  }
  const text = await fs.promises.readFile(manifest.path, 'utf8');
  let snapshot: ExportSnapshot;
  const parts: InboxSnapshot['parts'] = [];
  try {
    snapshot = parseExportManifest(text);
    for (const file of snapshot.files) {
      const resolved = localPartPath(snapshot, manifest.path, file.ref, root);
      parts.push({
        path: resolved,
        name: nameIn(root, resolved),
        bytes: file.bytes,
      });
    }
    await refuseLinkedFolders(root, parts);
  } catch (error) {
    if (error instanceof FocusFileError) return broken(error);
    throw error;
  }
  const hash = createHash('sha256').update(text);
  const now = Date.now();
  let incomplete: string | undefined;
  for (const part of parts) {
    const stat = await statOrUndefined(part.path);
    if (!stat) incomplete ??= `${part.name} is missing`;
    else if (part.bytes !== undefined && stat.size !== part.bytes) {
      incomplete ??= `${part.name} has ${stat.size} bytes where the manifest says ${part.bytes}`;
    } else if (
      part.bytes === undefined &&
      stat.mtimeMs > manifest.mtimeMs &&
      now - stat.mtimeMs < SETTLE_MS
    ) {
      // An export written over in place whose manifest states no sizes (AWS overwrite mode keeps its part names)
      // rewrites its parts before its manifest: a part newer than the manifest, written moments ago, belongs to the next delivery,
      // and read now it would mix two deliveries' lines. One older than that is a sync that kept no times: settled.
      incomplete ??= `${part.name} was written after the manifest, moments ago: the next delivery is being written`;
    }
    hash.update(`\n${part.name}:${stat?.size}:${stat?.mtimeMs}`);
  }
  // Without an export id in the manifest, the export is told by where it lies (AWS: <export>/metadata/<period>/).
  const exportId = snapshot.group.split('|')[1];
  const where = exportId
    ? ''
    : nameIn(root, path.dirname(path.dirname(path.dirname(manifest.path))));
  return {
    manifest,
    snapshot,
    group: `${snapshot.group}|${where}`,
    takenAt: snapshot.takenAt ?? manifest.mtimeMs,
    parts,
    incomplete,
    etag: hash.digest('hex').slice(0, 40),
  };
}

/** What the inbox holds: files to ingest on their own, and export snapshots described by manifests. */
export type Inbox = {
  /** Export files at the top of the inbox that no manifest lists. */
  files: InboxFile[];
  /** Per export and billing period, the latest complete snapshot (or the latest, incomplete, when none is). */
  latest: InboxSnapshot[];
  /** Manifests that cannot be read. */
  broken: InboxSnapshot[];
};

/**
 * Reads the inbox. Files below its top level are read only through a manifest, never on their own: a provider's
 * export folder holds many full snapshots of a period (AWS "create new" keeps every execution), and summing them
 * would count the period once per snapshot. Of the snapshots of one export and period, only the latest complete one
 * counts (Azure: by runInfo.submittedTime; AWS: by the manifest's modification time, its period manifest being
 * rewritten for each execution).
 */
export async function readInbox(root: string): Promise<Inbox> {
  const { files, manifests } = await walk(root);
  const snapshots = await Promise.all(
    manifests.map(m => readSnapshot(root, m)),
  );
  const listed = new Set(snapshots.flatMap(s => s.parts.map(p => p.path)));
  const groups = new Map<string, InboxSnapshot[]>();
  for (const s of snapshots) {
    if (s.error) continue;
    groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  }
  const latest = [...groups.values()].map(candidates => {
    const sorted = [...candidates].sort(
      (a, b) =>
        b.takenAt - a.takenAt || (a.manifest.name < b.manifest.name ? 1 : -1),
    );
    return sorted.find(s => !s.incomplete) ?? sorted[0];
  });
  return {
    files: files.filter(f => !listed.has(f.path)),
    latest,
    broken: snapshots.filter(s => s.error),
  };
}
