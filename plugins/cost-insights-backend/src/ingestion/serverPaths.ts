// The server's own paths never reach an ingestion record: members read records (GET /ingestions), and the inbox's
// place on the server, or the folders a configured query reads, are nobody's business but the operator's.
import fs from 'node:fs';
import path from 'node:path';

/** A folder of the server and how records name it: the inbox as `inbox`, a query's paths as `paths[0]`... */
export type ServerPath = { path: string; shown: string };

/** The folders whose paths records hide: the inbox, and the local paths of the configured queries. */
export function serverPaths(
  inbox: string | undefined,
  queries: ReadonlyArray<{ name: string; paths: string[] }> = [],
): ServerPath[] {
  const found: ServerPath[] = [];
  const add = (configured: string, shown: string) => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(configured)) return; // an object store's URL is no server path
    const resolved = path.resolve(configured);
    found.push({ path: resolved, shown });
    try {
      const real = fs.realpathSync(resolved);
      if (real !== resolved) found.push({ path: real, shown });
    } catch {
      // Not there (yet): only its configured spelling can appear.
    }
  };
  if (inbox) add(inbox, 'inbox');
  for (const query of queries) {
    query.paths.forEach((p, i) => add(p, `query:${query.name} paths[${i}]`));
  }
  // The longest first, so a path below another is named by the nearer.
  return found.sort((a, b) => b.path.length - a.path.length);
}

const ERRNO_CODE = /^E[A-Z0-9]+$/;

/**
 * What a failed read of a file says: an operating-system error (`ENOENT`, `EACCES`, `EISDIR`...) as
 * `<file> could not be read (ENOENT)`, where node would say `ENOENT: no such file or directory, open '<file>'`; any
 * other error as its message. The file is the server's path: hideServerPaths names it as records do.
 */
export function readErrorMessage(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  if (e && typeof e.code === 'string' && ERRNO_CODE.test(e.code)) {
    return `${e.path ?? 'the file'} could not be read (${e.code})`;
  }
  return String((error as Error)?.message ?? error);
}

/** An absolute POSIX or Windows path of two segments or more, at the start of the text or of a word. */
const ABSOLUTE_PATH =
  /(^|[\s'"`(=\[<,;]|:(?!\/\/))((?:\/|[A-Za-z]:\\)[^\s'"`()<>,;\]\\/]+(?:[\\/][^\s'"`()<>,;\]\\/]*)+)/g;

/**
 * A message with the server's paths replaced by the names records use: `/srv/forge/cost-inbox/aws/x.csv` is
 * `inbox/aws/x.csv`, a file below a query's configured folder `query:<name> paths[0]/x.parquet`.
 */
export function hideServerPaths(
  message: string,
  paths: ReadonlyArray<ServerPath>,
): string {
  let text = message;
  for (const { path: root, shown } of paths) {
    if (root === path.parse(root).root) continue; // never `/` itself
    let at = text.indexOf(root);
    while (at >= 0) {
      const after = text[at + root.length];
      // Only the whole folder, not /srv/inbox2 for /srv/inbox.
      if (after === undefined || after === path.sep || !/[\w.-]/.test(after)) {
        text = `${text.slice(0, at)}${shown}${text.slice(at + root.length)}`;
        at = text.indexOf(root, at + shown.length);
      } else {
        at = text.indexOf(root, at + root.length);
      }
    }
  }
  // Any other absolute path (a temporary file, a DuckDB extension under the home folder, a library's own message):
  // only its last segment is shown. A path begins a word (not the path of a URL) and has at least two segments.
  return text.replace(
    ABSOLUTE_PATH,
    (_, before: string, full: string) =>
      `${before}<server>/${full.split(/[\\/]/).pop()}`,
  );
}
