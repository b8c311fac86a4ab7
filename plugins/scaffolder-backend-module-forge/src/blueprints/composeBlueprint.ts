// One source for what the five blueprints share. templates/_shared/blueprint.yaml holds the parameters and steps
// every blueprint has; templates/<name>/blueprint.yaml holds what is this blueprint's own. Composing them gives
// templates/<name>.yaml, the plain Template entity the catalog, the scaffolder, the dry-run API and reviewers read.
//
// Why a generated file, checked in, rather than resolving the fragments while the catalog loads the template: a
// Template is a catalog entity read as plain YAML by the catalog, the dry-run API, the template editor, the review
// page's preview and the benchmark; Backstage's own `$yaml` placeholders replace a whole value and cannot fill in a
// blueprint's specifics; and a private merge language in the catalog's ingestion path would hide the whole template
// from the people who review a change to it. Composed and checked in, each blueprint stays one readable file, a fix to
// the shared steps shows in all five diffs, and blueprintSources.test.ts fails when a file and its sources disagree.
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  Node,
  Pair,
  parseDocument,
  Scalar,
  visit,
  YAMLMap,
  YAMLSeq,
} from 'yaml';
import { InputError } from '@backstage/errors';
import fs from 'node:fs';
import path from 'node:path';

/** Where a blueprint's own items go in a shared list (parameter pages, steps). */
const SLOT = '$blueprint';

/** Lists whose items are matched by a key instead of being replaced as a whole. */
const KEYED_LISTS: Record<string, string> = {
  'spec.parameters': 'title',
  'spec.steps': 'id',
};

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function itemKey(item: unknown, field: string): string | undefined {
  if (!isMap(item)) return undefined;
  const value = item.get(field);
  return typeof value === 'string' ? value : undefined;
}

function mergeSeq(shared: YAMLSeq, own: YAMLSeq, at: string, file: string) {
  const field = KEYED_LISTS[at];
  const slot = shared.items.findIndex(i => isScalar(i) && i.value === SLOT);
  if (!field) {
    throw new InputError(
      `${file}: ${at} is a shared list; blueprints cannot change it`,
    );
  }
  const added: unknown[] = [];
  for (const item of own.items) {
    const key = itemKey(item, field);
    if (key === undefined) {
      throw new InputError(`${file}: every item of ${at} needs a ${field}`);
    }
    const match = shared.items.find(i => itemKey(i, field) === key);
    if (match)
      mergeMap(match as YAMLMap, item as YAMLMap, `${at}[${key}]`, file);
    else added.push(item);
  }
  if (slot >= 0) shared.items.splice(slot, 1, ...added);
  else shared.items.push(...added);
}

/**
 * Merges `own` into `shared` in place: maps key by key, keyed lists item by item, anything else replaced. A key only
 * the blueprint has goes before the next key of the blueprint's that the shared map has too, or at the end: the
 * blueprint's metadata.name stays above the shared annotations, its extra step inputs follow the shared ones.
 */
function mergeMap(shared: YAMLMap, own: YAMLMap, at: string, file: string) {
  const sharedKeys = new Set(shared.items.map(keyOf));
  // The yaml library keeps a comment above a map's first key on the map itself.
  const firstKey = own.items[0]?.key;
  if (own.commentBefore && isScalar(firstKey) && !firstKey.commentBefore) {
    firstKey.commentBefore = own.commentBefore;
    own.commentBefore = undefined;
  }
  own.items.forEach((pair, index) => {
    const key = keyOf(pair);
    const where = at ? `${at}.${key}` : String(key);
    const existing = shared.items.find(p => keyOf(p) === key);
    if (!existing) {
      const next = own.items
        .slice(index + 1)
        .find(p => sharedKeys.has(keyOf(p)));
      const before = next
        ? shared.items.findIndex(p => keyOf(p) === keyOf(next))
        : -1;
      if (before >= 0) shared.items.splice(before, 0, pair);
      else shared.items.push(pair);
      return;
    }
    if (isMap(existing.value) && isMap(pair.value)) {
      mergeMap(existing.value, pair.value, where, file);
    } else if (
      isSeq(existing.value) &&
      isSeq(pair.value) &&
      KEYED_LISTS[where]
    ) {
      mergeSeq(existing.value, pair.value, where, file);
    } else {
      existing.value = pair.value;
    }
    // A comment on the blueprint's key explains the blueprint's value.
    const comment = (pair.key as Node | undefined)?.commentBefore;
    if (comment && isScalar(existing.key)) existing.key.commentBefore = comment;
  });
}

/** Removes and returns the comment at the top of a document (the yaml library keeps it on the first key). */
function takeHeader(doc: Document): string | undefined {
  const first = (doc.contents as YAMLMap).items[0]?.key as Node | undefined;
  const header = doc.commentBefore ?? first?.commentBefore ?? undefined;
  doc.commentBefore = null;
  if (first) first.commentBefore = undefined;
  return header;
}

/**
 * The Template entity (YAML text) a blueprint's own file and the shared file compose to. In shared text,
 * `((name))`, `((title))` and `((version))` stand for the blueprint's name, title and version.
 */
export function composeBlueprint(
  sharedText: string,
  ownText: string,
  files: { shared: string; own: string; output: string },
): string {
  const shared = parseDocument(sharedText);
  const own = parseDocument(ownText);
  for (const [doc, file] of [
    [shared, files.shared],
    [own, files.own],
  ] as Array<[Document, string]>) {
    if (doc.errors.length)
      throw new InputError(`${file}: ${doc.errors[0].message}`);
    if (!isMap(doc.contents))
      throw new InputError(`${file}: must be a YAML map`);
  }
  // A file's opening comment describes the file: the blueprint's becomes the template's, the shared one's is dropped.
  const ownHeader = takeHeader(own);
  takeHeader(shared);
  mergeMap(shared.contents as YAMLMap, own.contents as YAMLMap, '', files.own);

  const name = shared.getIn(['metadata', 'name']);
  const title = shared.getIn(['metadata', 'title']);
  const version = shared.getIn([
    'metadata',
    'annotations',
    'forge.io/blueprint-version',
  ]);
  if (
    typeof name !== 'string' ||
    typeof title !== 'string' ||
    typeof version !== 'string'
  ) {
    throw new InputError(
      `${files.own}: needs metadata.name, metadata.title and metadata.annotations['forge.io/blueprint-version']`,
    );
  }
  const tokens: Record<string, string> = { name, title, version };
  visit(shared, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value === 'string' && node.value.includes('((')) {
        node.value = node.value.replace(
          /\(\((\w+)\)\)/g,
          (whole, token: string) => {
            if (!(token in tokens)) {
              throw new InputError(
                `${files.shared}: unknown placeholder ${whole}; use ((name)), ((title)) or ((version))`,
              );
            }
            return tokens[token];
          },
        );
      }
    },
    Seq(_key, node: YAMLSeq) {
      if (node.items.some(i => isScalar(i) && i.value === SLOT)) {
        node.items = node.items.filter(i => !(isScalar(i) && i.value === SLOT));
      }
    },
  });

  shared.commentBefore = [
    ` GENERATED from ${files.shared} and ${files.own}`,
    ' by `./forge yarn blueprints:compose`: edit those two, not this file (a test fails when they disagree).',
    ...(ownHeader ? ['', ownHeader] : []),
  ].join('\n');
  return shared.toString({
    lineWidth: 118,
    minContentWidth: 40,
    flowCollectionPadding: false,
  });
}

/** The blueprints of a templates folder: every folder with its own blueprint.yaml. */
export function blueprintSourceNames(templatesDir: string): string[] {
  return fs
    .readdirSync(templatesDir, { withFileTypes: true })
    .filter(e => e.isDirectory() && !e.name.startsWith('_'))
    .filter(e =>
      fs.existsSync(path.join(templatesDir, e.name, 'blueprint.yaml')),
    )
    .map(e => e.name)
    .sort();
}

/** Each blueprint's composed template, keyed by the path of the file it belongs in (relative to templatesDir). */
export function composeBlueprints(templatesDir: string): Map<string, string> {
  const sharedFile = '_shared/blueprint.yaml';
  const sharedText = fs.readFileSync(
    path.join(templatesDir, sharedFile),
    'utf8',
  );
  const composed = new Map<string, string>();
  for (const name of blueprintSourceNames(templatesDir)) {
    const own = `${name}/blueprint.yaml`;
    const output = `${name}.yaml`;
    composed.set(
      output,
      composeBlueprint(
        sharedText,
        fs.readFileSync(path.join(templatesDir, own), 'utf8'),
        {
          shared: `templates/${sharedFile}`,
          own: `templates/${own}`,
          output: `templates/${output}`,
        },
      ),
    );
  }
  return composed;
}

// `./forge yarn blueprints:compose` runs this file from the repository's root: it writes each blueprint's composed
// template into templates/.
if (require.main === module) {
  const templatesDir = path.resolve(process.cwd(), 'templates');
  for (const [file, text] of composeBlueprints(templatesDir)) {
    fs.writeFileSync(path.join(templatesDir, file), text);
    process.stdout.write(`wrote templates/${file}\n`);
  }
}
