#!/usr/bin/env node
// Verifies a Forge evidence export offline, with nothing but the file and the Forge history public key:
//
//   node scripts/verify-evidence.mjs <forge-evidence-….oscal.json | forge-evidence-….csv> --public-key <key.pem>
//        [--public-key <another.pem> …] [--checkpoints <checkpoints.jsonl>]
//
// It checks that (1) the export is signed by one of the given keys and not a byte of its content changed since, (2)
// the history checkpoint it carries is signed by one of them, (3) every record in it is covered by that checkpoint
// (its history seq is a positive integer, at most the checkpoint's: a row without one has no record in the history)
// and, with --checkpoints (a copy of the published checkpoint file or
// of a transparency log), (4) that checkpoint is one that was published. Exit code 0 when all hold, 1 otherwise.
// After a key rotation, give the current key and the retired ones (several --public-key, or one file holding several
// keys, as Forge's /history/public-key serves them).
// Plain Node (18+), no dependencies: an auditor can read all of it. docs/auditors.md explains what it proves.
import fs from 'node:fs';
import { createHash, createPublicKey, verify } from 'node:crypto';

const SIGNATURE_TITLE = 'Forge evidence signature';
const CHECKPOINT_TITLE = 'Forge history checkpoint';

function usage(message) {
  if (message) console.error(`verify-evidence: ${message}`);
  console.error(
    'usage: node scripts/verify-evidence.mjs <export.oscal.json|export.csv> --public-key <key.pem> [--public-key <another.pem> …] [--checkpoints <checkpoints.jsonl>]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = {
    file: undefined,
    publicKeys: [],
    checkpoints: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--public-key') args.publicKeys.push(argv[++i]);
    else if (arg === '--checkpoints') args.checkpoints = argv[++i];
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (!args.file) args.file = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (!args.file) usage('the export file is missing');
  if (args.publicKeys.length === 0 || args.publicKeys.includes(undefined))
    usage('--public-key is missing');
  return args;
}

/** JSON with object keys sorted by code unit, as the Forge backend signs it (hashing.ts canonicalJson). */
function canonicalJson(value) {
  if (value === null || typeof value !== 'object')
    return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .filter(k => value[k] !== undefined)
    .map(k => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`;
}

function keyIdOf(publicKey) {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function signatureHolds(publicKey, message, signatureHex) {
  if (!/^[0-9a-f]{128}$/.test(signatureHex ?? '')) return false;
  return verify(
    null,
    Buffer.from(message, 'utf8'),
    publicKey,
    Buffer.from(signatureHex, 'hex'),
  );
}

function checkpointMessage(cp) {
  return `forge-checkpoint/v1\n${cp.seq}\n${cp.head}\n${cp.at}\n${cp.keyId}`;
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const records = [];
  let record = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * A text cell a spreadsheet would run as a formula: after blanks, control characters, invisible characters (soft
 * hyphen, joiners, direction marks and isolates, fillers, the byte order mark) or double quotes (which some
 * spreadsheets drop) it starts with =, +, - or @, or a look-alike whose NFKC form starts with one of them (full-width,
 * small, superscript and subscript forms), or it starts with a tab or a line break. Plain numbers are figures.
 * Forge's CSV writer prefixes such cells with a single quote (plugins/forge-node/src/csv.ts, the same rule), so one
 * found here was put in after the export.
 */
function isFormula(cell) {
  if (cell === '' || /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(cell))
    return false;
  if (/^[\t\r\n]/.test(cell)) return true;
  const rest = cell.replace(
    // eslint-disable-next-line no-control-regex
    /^[\s\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0"]+/,
    '',
  );
  const first = rest.codePointAt(0);
  if (first === undefined) return false;
  return (
    /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE62\uFE63\uFE66\uFE6B\u207A-\u207C\u208A-\u208C]/.test(
      rest,
    ) || /^[=+\-@]/.test(String.fromCodePoint(first).normalize('NFKC'))
  );
}

/** The signed scope line of a CSV export in words: what was asked for, as of when, exported when. */
function describeScope([, type, ref, framework, control, asOf, exportedAt]) {
  const what = type === 'org' ? 'the organisation' : `${type} ${ref}`;
  return `${what}; framework ${framework || 'all'}; control ${
    control || 'all'
  }; as of ${asOf}; exported at ${exportedAt}`;
}

/**
 * The signed part, the signature and the checkpoint of a CSV export. Its last line is the signature, of every byte
 * before it; the line before is the checkpoint ("forge-checkpoint", seq, head, time, key id, signature), so the
 * signature covers which checkpoint the export names.
 */
function readCsv(text) {
  // Forge writes CRLF (RFC 4180) and signs those exact bytes: say so plainly when an editor, a spreadsheet or a
  // git checkout rewrote them, rather than only "the signature does not match".
  if (/(^|[^\r])\n/.test(text))
    throw new Error(
      text.includes('\r\n')
        ? 'some line endings were changed from CRLF to LF after the export (the signature covers the exact bytes): verify the file as downloaded'
        : 'the line endings were changed from CRLF to LF after the export (an editor, a spreadsheet or a git checkout rewrote them; the signature covers the exact bytes): verify the file as downloaded',
    );
  if (text.charCodeAt(0) === 0xfeff)
    throw new Error(
      'the file starts with a byte order mark Forge does not write: it was re-saved (e.g. by a spreadsheet) after the export',
    );
  const body = text.replace(/\r\n$/, '');
  const cut = body.lastIndexOf('\r\n');
  const last = parseCsv(body.slice(cut + 2))[0] ?? [];
  if (cut < 0 || last[0] !== 'forge-signature')
    throw new Error(
      'the last line is not the Forge signature line ("forge-signature", key id, signature): the signature was removed, lines were added after it, or this is not a signed Forge export',
    );
  if (last.length > 3)
    throw new Error(
      'the signature line carries fields after the signature (the checkpoint, as exports of earlier Forge releases did): the signature does not cover them, so a later checkpoint could have been put in. Export the evidence again',
    );
  const [, keyId, signature] = last;
  const signed = body.slice(0, cut + 2);
  const [header, ...rows] = parseCsv(signed);
  const cpLine =
    rows.length && rows[rows.length - 1][0] === 'forge-checkpoint'
      ? rows.pop()
      : undefined;
  const [, seq, head, at, cpKeyId, cpSignature] = cpLine ?? [];
  // The query the export answers, signed with the rows (exports of earlier releases have none).
  const scopeLine =
    rows.length && rows[rows.length - 1][0] === 'forge-scope'
      ? rows.pop()
      : undefined;
  const seqColumn = header.indexOf('history_seq');
  const formulas = [];
  rows.forEach((r, i) =>
    r.forEach((cell, c) => {
      if (isFormula(cell))
        formulas.push(
          `line ${i + 2}, column ${
            header[c] ?? c + 1
          } holds a spreadsheet formula (${JSON.stringify(
            cell.slice(0, 40),
          )}) that Forge would have neutralised: it was put in after the export`,
        );
    }),
  );
  scopeLine?.forEach((cell, c) => {
    if (isFormula(cell))
      formulas.push(
        `the scope line, field ${
          c + 1
        }, holds a spreadsheet formula (${JSON.stringify(
          cell.slice(0, 40),
        )}) that Forge would have neutralised: it was put in after the export`,
      );
  });
  return {
    problems: formulas,
    scope: scopeLine ? describeScope(scopeLine) : undefined,
    signed,
    keyId,
    signature,
    checkpoint: cpLine
      ? { seq: Number(seq), head, at, keyId: cpKeyId, signature: cpSignature }
      : undefined,
    records: rows.map((r, i) => ({
      what: `line ${i + 2}`,
      seq: seqColumn < 0 ? undefined : r[seqColumn],
    })),
  };
}

function prop(item, name) {
  return item.props?.find(p => p.name === name)?.value;
}

/**
 * The first object key that appears twice in one object of a JSON text, if any. JSON.parse keeps the last value,
 * other readers the first, so a duplicate added after the export could show a reader a value the signature does not
 * cover. A small scanner because Node's parser has no option to refuse them.
 */
function duplicateKey(text) {
  const stack = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') expectKey = stack[stack.length - 1] instanceof Set;
  }
  return undefined;
}

/** Calls `visit` with every string value of a JSON value and where it is (keys too, as strings a reader shows). */
function forEachString(value, visit, where = 'the document') {
  if (typeof value === 'string') visit(value, where);
  else if (Array.isArray(value))
    value.forEach((v, i) => forEachString(v, visit, `${where}[${i}]`));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      visit(k, `the key ${JSON.stringify(k)} of ${where}`);
      forEachString(v, visit, `${where}.${k}`);
    }
}

const SIGNATURE_DESCRIPTION =
  'Ed25519 signature of "forge-evidence/v1", a line feed and the canonical JSON of this document without this resource. Verify offline with scripts/verify-evidence.mjs and the Forge history public key.';

/** The UUID Forge gives a resource derived from a text (EvidenceService.ts uuidFrom). */
function uuidFrom(text) {
  const h = createHash('sha256').update(text, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${(
    (parseInt(h[16], 16) & 0x3) |
    0x8
  ).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * What the signature resource holds beyond what Forge writes (EvidenceService.ts signOscal), described; undefined
 * when it is exactly that: uuid (derived from the signature), title, the fixed description and three props.
 */
function signatureResourceProblem(resource) {
  const keys = Object.keys(resource).sort();
  const expected = ['description', 'props', 'title', 'uuid'];
  const added = keys.filter(k => !expected.includes(k));
  if (added.length)
    return `fields Forge does not write (${added
      .map(k => JSON.stringify(k))
      .join(', ')})`;
  if (keys.length !== expected.length)
    return `not all the fields Forge writes (${expected.join(', ')})`;
  if (resource.description !== SIGNATURE_DESCRIPTION)
    return 'another description than the one Forge writes';
  const props = resource.props;
  const names = ['algorithm', 'key-id', 'signature'];
  if (
    !Array.isArray(props) ||
    props.length !== names.length ||
    props.some(
      (p, i) =>
        p === null ||
        typeof p !== 'object' ||
        Object.keys(p).sort().join(',') !== 'name,ns,value' ||
        p.name !== names[i] ||
        p.ns !== 'urn:forge' ||
        typeof p.value !== 'string',
    )
  )
    return 'other props than the algorithm, key-id and signature props Forge writes';
  if (props[0].value !== 'Ed25519')
    return `the algorithm ${JSON.stringify(props[0].value)}`;
  if (resource.uuid !== uuidFrom(`signature:${props[2].value}`))
    return 'another uuid than the one Forge derives from the signature';
  return undefined;
}

/** The signed part, the signature and the checkpoint of an OSCAL export; the signature is its last resource. */
function readOscal(text) {
  let document;
  try {
    document = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `the file is not valid JSON (${e.message}): it was changed or cut short after the export`,
    );
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined)
    throw new Error(
      `the key ${JSON.stringify(
        duplicate,
      )} appears twice in one object: a value was added after the export that some readers show instead of the signed one`,
    );
  // Every string of the document, the signature resource included, under the rule Forge's writer applies before
  // it signs (a formula found here was put in after the export).
  const problems = [];
  forEachString(document, (value, where) => {
    if (isFormula(value))
      problems.push(
        `${where} holds a spreadsheet formula (${JSON.stringify(
          value.slice(0, 40),
        )}) that Forge would have neutralised: it was put in after the export`,
      );
  });
  const results = document['assessment-results'];
  const resources = results?.['back-matter']?.resources ?? [];
  const signatureResources = resources.filter(
    r => r?.title === SIGNATURE_TITLE,
  );
  if (signatureResources.length === 0)
    throw new Error(
      'the document has no signature resource: it is not a signed Forge export',
    );
  if (signatureResources.length > 1)
    throw new Error(
      `the document has ${signatureResources.length} signature resources, Forge writes one: resources were added after the export`,
    );
  const [signatureResource] = signatureResources;
  // The signature does not cover its own resource: it must hold exactly what Forge writes there, nothing else
  // (remarks, links or props added to it would be shown to a reader as part of the signed evidence).
  const extra = signatureResourceProblem(signatureResource);
  if (extra)
    throw new Error(
      `the signature resource holds ${extra}: Forge writes only its uuid, title, description and the algorithm, key-id and signature props there, and the signature does not cover that resource, so this was added after the export`,
    );
  results['back-matter'].resources = resources.filter(
    r => r !== signatureResource,
  );
  const cp = resources.find(r => r.title === CHECKPOINT_TITLE);
  return {
    problems,
    title: results?.metadata?.title,
    signed: canonicalJson(document),
    keyId: prop(signatureResource, 'key-id'),
    signature: prop(signatureResource, 'signature'),
    checkpoint: cp
      ? {
          seq: Number(prop(cp, 'checkpoint-seq')),
          head: prop(cp, 'checkpoint-head'),
          at: prop(cp, 'checkpoint-at'),
          keyId: prop(cp, 'key-id'),
          signature: prop(cp, 'signature'),
        }
      : undefined,
    records: (results.results ?? []).flatMap(r =>
      (r.observations ?? []).map(o => ({
        what: `observation "${o.title}"`,
        seq: prop(o, 'history-seq'),
      })),
    ),
  };
}

/**
 * What is wrong with a record's history seq (the text the export holds), if anything: it must be a positive integer.
 * A row without one (missing, empty, 0) has no record in the history, so no checkpoint can cover it.
 */
function seqProblem(record) {
  const orphan =
    'the row has no record in the history (it was put into a table outside Forge), so no checkpoint covers it';
  if (record.seq === undefined || record.seq === null)
    return `${record.what} has no history seq: ${orphan}`;
  if (!/^[1-9][0-9]{0,15}$/.test(String(record.seq)))
    return `${record.what} has history seq ${JSON.stringify(
      String(record.seq),
    )}, not a positive integer: ${orphan}`;
  return undefined;
}

/** The public keys of PEM files (each may hold several keys, as Forge serves the current and retired ones), by id. */
function readPublicKeys(files) {
  const keys = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const blocks = text.match(
      /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g,
    );
    if (!blocks) throw new Error(`${file} holds no PEM public key`);
    for (const block of blocks) {
      const key = createPublicKey(block);
      keys.set(keyIdOf(key), key);
    }
  }
  return keys;
}

/** Whether a checkpoint is signed by one of the keys, the one it names. */
function checkpointHolds(keys, cp) {
  const key = keys.get(cp?.keyId);
  return !!key && signatureHolds(key, checkpointMessage(cp), cp.signature);
}

/** The published checkpoints of a copy of the checkpoint file, and what is wrong with its lines. */
function readPublished(file, keys) {
  const checkpoints = [];
  const problems = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let cp;
      try {
        cp = JSON.parse(line);
      } catch {
        cp = undefined;
      }
      if (!checkpointHolds(keys, cp))
        problems.push(
          `line ${i + 1} of ${file} is not a checkpoint signed by ${
            keys.size > 1 ? 'these keys' : 'this key'
          }: the checkpoint file was altered (or holds another key's checkpoints: give every retired public key too)`,
        );
      else checkpoints.push(cp);
    });
  return { checkpoints, problems };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  let keys;
  let text;
  try {
    keys = readPublicKeys(args.publicKeys);
    text = fs.readFileSync(args.file, 'utf8');
  } catch (e) {
    console.error(`FAIL ${e.message}`);
    process.exit(1);
  }
  const failures = [];
  let exported;
  try {
    exported = text.trimStart().startsWith('{')
      ? readOscal(text)
      : readCsv(text);
  } catch (e) {
    console.error(`FAIL ${args.file}: ${e.message}`);
    process.exit(1);
  }
  failures.push(...exported.problems);
  const unnumbered = exported.records.map(seqProblem).filter(Boolean);
  failures.push(...unnumbered.slice(0, 10));
  if (unnumbered.length > 10)
    failures.push(
      `… and ${
        unnumbered.length - 10
      } more records without a valid history seq`,
    );

  const publicKey = keys.get(exported.keyId);
  if (!publicKey)
    failures.push(
      `the export names signing key ${exported.keyId}, the public ${
        keys.size > 1 ? 'keys' : 'key'
      } given ${keys.size > 1 ? 'are' : 'is'} ${[...keys.keys()].join(', ')}`,
    );
  else if (
    !signatureHolds(
      publicKey,
      `forge-evidence/v1\n${exported.signed}`,
      exported.signature,
    )
  )
    failures.push(
      'the signature does not match the content: the file was changed after it was exported',
    );

  const cp = exported.checkpoint;
  if (!cp) failures.push('the export carries no history checkpoint');
  else {
    if (!checkpointHolds(keys, cp))
      failures.push(
        `the checkpoint of seq ${cp.seq} is not signed by ${
          keys.size > 1 ? 'these keys' : 'this key'
        }`,
      );
    if (!/^[1-9][0-9]{0,15}$/.test(String(cp.seq)))
      failures.push(
        `the checkpoint's seq ${JSON.stringify(
          String(cp.seq),
        )} is not a positive integer`,
      );
    const beyond = exported.records.find(r => Number(r.seq) > cp.seq);
    if (beyond)
      failures.push(
        `${beyond.what} has history seq ${beyond.seq}, after the checkpoint's seq ${cp.seq}`,
      );
    if (args.checkpoints) {
      let published = { checkpoints: [], problems: [] };
      try {
        published = readPublished(args.checkpoints, keys);
      } catch (e) {
        published.problems.push(e.message);
      }
      failures.push(...published.problems);
      const rival = published.checkpoints.find(
        p => p.seq === cp.seq && p.head !== cp.head,
      );
      if (rival)
        failures.push(
          `the published checkpoint of seq ${cp.seq} at ${rival.at} has head ${rival.head}, the export's has ${cp.head}: the history was rewritten (e.g. restored from a backup) after that checkpoint was published`,
        );
      else if (
        !published.checkpoints.some(
          p =>
            p.seq === cp.seq &&
            p.head === cp.head &&
            p.signature === cp.signature,
        )
      )
        failures.push(
          `the checkpoint of seq ${cp.seq} (${cp.head}) is not among the published checkpoints`,
        );
    }
  }

  if (failures.length) {
    for (const failure of failures) console.error(`FAIL ${failure}`);
    process.exit(1);
  }
  console.log(`OK ${args.file}`);
  console.log(
    `  signed by key ${exported.keyId}; content unchanged since the export`,
  );
  if (exported.scope) console.log(`  scope (signed): ${exported.scope}`);
  else if (exported.title) console.log(`  title (signed): ${exported.title}`);
  else
    console.log(
      '  the export names no scope (exported by an earlier Forge release): what it covers is not signed',
    );
  console.log(
    `  ${
      exported.records.length
    } records, all covered by history checkpoint seq ${cp.seq} at ${
      cp.at
    } (head ${cp.head})${
      args.checkpoints ? ', which is among the published checkpoints' : ''
    }`,
  );
}

main();
