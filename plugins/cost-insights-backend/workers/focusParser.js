// @ts-check
/**
 * The CSV half of FOCUS ingestion, on its own thread (see src/ingestion/readFocusRecords.ts for the other half).
 *
 * Parsing is the single largest cost of an ingestion, and billing exports repeat the same few thousand values
 * (accounts, services, SKUs, days) row after row. This thread parses the text the main thread hands it with
 * PapaParse and sends each row back as numbers: per column the main thread reads, the id of the value in a
 * dictionary both sides build in the same order. The main thread then validates, attributes and sums while this
 * one parses the next rows, and it meets each distinct value as one string object, whose hash V8 computes once.
 *
 * Plain JavaScript with no imports but PapaParse, so it runs as it is under the development loader, Jest and a
 * production build alike.
 *
 * Flow control keeps memory flat: the main thread sends a few chunks of text ahead and one more for each this
 * thread uses, and the parser pauses while MAX_UNACKED batches wait for the main thread.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { Readable } = require('node:stream');
const Papa = require('papaparse');

if (!parentPort) throw new Error('focusParser.js runs as a worker thread');
const port = parentPort;

const BATCH_ROWS = 8192;
const MAX_UNACKED = 4;
/** Distinct values kept per column before its dictionary starts over (high-cardinality columns, e.g. costs). */
const DICTIONARY_LIMIT = (workerData && workerData.dictionaryLimit) || 50_000;

/**
 * Text received and not yet wanted by the parser, and whether using it returns a credit: the main thread sends at
 * most its credit of chunks ahead.
 * @type {Array<{ text: string | null, credit: boolean }>}
 */
const pending = [];
let wanting = false;
// Object mode: the decoded strings go to the parser as they are, not back into bytes and out again.
const text = new Readable({
  objectMode: true,
  read() {
    const next = pending.shift();
    if (next) give(next);
    else wanting = true;
  },
});
/** @param {{ text: string | null, credit: boolean }} chunk */
function give(chunk) {
  wanting = false;
  text.push(chunk.text);
  if (chunk.credit) port.postMessage({ type: 'more' });
}
/** @param {{ text: string | null, credit: boolean }} chunk */
function queue(chunk) {
  if (wanting) give(chunk);
  else pending.push(chunk);
}

/**
 * The parser guesses the line ending from the first text it gets, so that is at least a whole line (a stream may
 * come in chunks of a few bytes).
 */
let head = '';
let headSent = false;
/** @param {string | null} chunk */
function received(chunk) {
  if (headSent) {
    queue({ text: chunk, credit: chunk !== null });
    return;
  }
  if (chunk !== null) {
    head += chunk;
    if (!head.includes('\n') && head.length < 65536) {
      port.postMessage({ type: 'more' });
      return;
    }
  }
  headSent = true;
  if (head) queue({ text: head, credit: chunk !== null });
  if (chunk === null) queue({ text: null, credit: false });
}

/** @type {number[] | undefined} positions of the columns the main thread reads */
let columns;
/**
 * Per column read, its slot among the decimal columns (sent as numbers when they are plain), or -1.
 * @type {number[]}
 */
let numericSlot = [];
let numericWidth = 0;
/** @type {Array<Map<string, number>>} */
let dictionaries = [];
/** Per column, the previous row's value and its id: consecutive rows repeat most values. */
/** @type {Array<string | undefined>} */
let previousValue = [];
/** @type {Int32Array} */
let previousId = new Int32Array(0);
let line = 0;
let unacked = 0;
/** @type {any} */
let parser;
let waitingForColumns = false;
let paused = false;
let failed = false;

/** The batch being filled. */
let batch = newBatch();
function newBatch() {
  const width = columns ? columns.length : 0;
  return {
    rows: 0,
    counts: new Int32Array(BATCH_ROWS),
    ids: new Int32Array(BATCH_ROWS * width),
    numbers: new Float64Array(BATCH_ROWS * numericWidth),
    /** @type {string[][]} */
    added: Array.from({ length: width }, () => []),
    /** @type {number[]} */
    reset: [],
  };
}

function flush() {
  if (batch.rows === 0 && batch.reset.length === 0) return;
  const { counts, ids, numbers } = batch;
  port.postMessage(
    {
      type: 'batch',
      rows: batch.rows,
      counts,
      ids,
      numbers,
      added: batch.added,
      reset: batch.reset,
    },
    [counts.buffer, ids.buffer, numbers.buffer],
  );
  unacked += 1;
  batch = newBatch();
  if (unacked >= MAX_UNACKED && parser && !paused) {
    paused = true;
    parser.pause();
  }
}

/** Id meaning "the value is in `numbers`". */
const NUMBER = -2;

/**
 * A decimal field written plainly, as a number; undefined for anything else (empty, NULL, a typo), which then goes
 * to the main thread as text so that it judges it. Accepts exactly what parseDecimal in focusValues.ts accepts.
 * @param {string} value
 */
function plainNumber(value) {
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  if (n === 0 && value.trim() === '') return undefined;
  return n;
}

/** @param {string[]} fields */
function addRow(fields) {
  const cols = /** @type {number[]} */ (columns);
  const width = cols.length;
  let full = false;
  const row = batch.rows;
  batch.counts[row] = fields.length;
  const base = row * width;
  for (let j = 0; j < width; j++) {
    const value = fields[cols[j]];
    if (value === undefined) {
      batch.ids[base + j] = -1;
      continue;
    }
    const slot = numericSlot[j];
    if (slot >= 0) {
      const n = plainNumber(value);
      if (n !== undefined) {
        batch.numbers[row * numericWidth + slot] = n;
        batch.ids[base + j] = NUMBER;
        continue;
      }
    }
    if (value === previousValue[j]) {
      batch.ids[base + j] = previousId[j];
      continue;
    }
    const dictionary = dictionaries[j];
    let id = dictionary.get(value);
    if (id === undefined) {
      id = dictionary.size;
      dictionary.set(value, id);
      batch.added[j].push(value);
      if (dictionary.size >= DICTIONARY_LIMIT) full = true;
    }
    batch.ids[base + j] = id;
    previousValue[j] = value;
    previousId[j] = id;
  }
  batch.rows += 1;
  if (full) {
    // The ids sent so far refer to the full dictionaries: send them, then start those dictionaries over.
    flush();
    for (let j = 0; j < width; j++) {
      if (dictionaries[j].size < DICTIONARY_LIMIT) continue;
      dictionaries[j].clear();
      previousValue[j] = undefined;
      batch.reset.push(j);
    }
  } else if (batch.rows === BATCH_ROWS) flush();
}

port.on('message', message => {
  switch (message.type) {
    case 'chunk':
      received(message.text);
      break;
    case 'end':
      received(null);
      break;
    case 'columns':
      columns = message.columns;
      numericSlot = message.numericSlot;
      numericWidth = numericSlot.filter(slot => slot >= 0).length;
      dictionaries = columns.map(() => new Map());
      previousValue = columns.map(() => undefined);
      previousId = new Int32Array(columns.length);
      batch = newBatch();
      waitingForColumns = false;
      if (!paused) parser.resume();
      break;
    case 'ack':
      unacked -= 1;
      if (paused && unacked < MAX_UNACKED / 2 && !waitingForColumns) {
        paused = false;
        parser.resume();
      }
      break;
    default:
      break;
  }
});

Papa.parse(/** @type {any} */ (text), {
  header: false,
  skipEmptyLines: true,
  step: (/** @type {any} */ results, /** @type {any} */ handle) => {
    if (failed) return;
    parser = handle;
    line += 1;
    const problem = results.errors[0];
    if (problem) {
      failed = true;
      flush();
      port.postMessage({ type: 'error', line, message: problem.message });
      handle.abort();
      return;
    }
    const fields = results.data;
    if (line === 1) {
      if (fields.length > 0) fields[0] = fields[0].replace(/^\uFEFF/, '');
      port.postMessage({ type: 'header', fields });
      // Rows wait until the main thread says which columns it reads.
      waitingForColumns = true;
      handle.pause();
      return;
    }
    addRow(fields);
  },
  complete: () => {
    if (failed) return;
    flush();
    port.postMessage({ type: 'done' });
  },
  error: (/** @type {Error} */ error) => {
    if (failed) return;
    failed = true;
    port.postMessage({ type: 'error', line, message: error.message });
  },
});
