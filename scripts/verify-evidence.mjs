#!/usr/bin/env node
// Verifies a Forge evidence export offline, with nothing but the file and the Forge history public key:
//
//   node scripts/verify-evidence.mjs <forge-evidence-….oscal.json | forge-evidence-….csv> --public-key <key.pem>
//        [--checkpoints <checkpoints.jsonl>]
//
// It checks that (1) the export is signed by that key and not a byte of its content changed since, (2) the history
// checkpoint it carries is signed by the same key, (3) every record in it is covered by that checkpoint (its history
// seq is at most the checkpoint's), and, with --checkpoints (a copy of the published checkpoint file or of a
// transparency log), (4) that checkpoint is one that was published. Exit code 0 when all hold, 1 otherwise.
// Plain Node (18+), no dependencies: an auditor can read all of it. docs/auditors.md explains what it proves.
import fs from 'node:fs';
import { createHash, createPublicKey, verify } from 'node:crypto';

const SIGNATURE_TITLE = 'Forge evidence signature';
const CHECKPOINT_TITLE = 'Forge history checkpoint';

function usage(message) {
  if (message) console.error(`verify-evidence: ${message}`);
  console.error(
    'usage: node scripts/verify-evidence.mjs <export.oscal.json|export.csv> --public-key <key.pem> [--checkpoints <checkpoints.jsonl>]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = {
    file: undefined,
    publicKey: undefined,
    checkpoints: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--public-key') args.publicKey = argv[++i];
    else if (arg === '--checkpoints') args.checkpoints = argv[++i];
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (!args.file) args.file = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (!args.file) usage('the export file is missing');
  if (!args.publicKey) usage('--public-key is missing');
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

/** The signed part, the signature and the checkpoint of a CSV export; its last line is the signature. */
function readCsv(text) {
  const body = text.replace(/\r\n$/, '');
  const cut = body.lastIndexOf('\r\n');
  if (cut < 0)
    throw new Error(
      'the file has no signature line: it is not a signed Forge export',
    );
  const [marker, keyId, signature, seq, head, at, cpKeyId, cpSignature] =
    parseCsv(body.slice(cut + 2))[0];
  if (marker !== 'forge-signature')
    throw new Error('the last line is not the Forge signature line');
  const signed = body.slice(0, cut + 2);
  const [header, ...rows] = parseCsv(signed);
  const seqColumn = header.indexOf('history_seq');
  return {
    signed,
    keyId,
    signature,
    checkpoint: seq
      ? { seq: Number(seq), head, at, keyId: cpKeyId, signature: cpSignature }
      : undefined,
    records: rows.map((r, i) => ({
      what: `line ${i + 2}`,
      seq: Number(r[seqColumn]),
    })),
  };
}

function prop(item, name) {
  return item.props?.find(p => p.name === name)?.value;
}

/** The signed part, the signature and the checkpoint of an OSCAL export; the signature is its last resource. */
function readOscal(text) {
  const document = JSON.parse(text);
  const results = document['assessment-results'];
  const resources = results?.['back-matter']?.resources ?? [];
  const signatureResource = resources.find(r => r.title === SIGNATURE_TITLE);
  if (!signatureResource)
    throw new Error(
      'the document has no signature resource: it is not a signed Forge export',
    );
  results['back-matter'].resources = resources.filter(
    r => r !== signatureResource,
  );
  const cp = resources.find(r => r.title === CHECKPOINT_TITLE);
  return {
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
        seq: Number(prop(o, 'history-seq') ?? 0),
      })),
    ),
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const publicKey = createPublicKey(fs.readFileSync(args.publicKey, 'utf8'));
  const keyId = keyIdOf(publicKey);
  const text = fs.readFileSync(args.file, 'utf8');
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

  if (exported.keyId !== keyId)
    failures.push(
      `the export names signing key ${exported.keyId}, the public key given is ${keyId}`,
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
    if (
      cp.keyId !== keyId ||
      !signatureHolds(publicKey, checkpointMessage(cp), cp.signature)
    )
      failures.push(
        `the checkpoint of seq ${cp.seq} is not signed by this key`,
      );
    const beyond = exported.records.find(r => r.seq > cp.seq);
    if (beyond)
      failures.push(
        `${beyond.what} has history seq ${beyond.seq}, after the checkpoint's seq ${cp.seq}`,
      );
    if (args.checkpoints) {
      const published = fs
        .readFileSync(args.checkpoints, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(line => JSON.parse(line));
      if (
        !published.some(
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
  console.log(`  signed by key ${keyId}; content unchanged since the export`);
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
