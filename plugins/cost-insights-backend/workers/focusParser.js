// @ts-check
/**
 * The CSV half of FOCUS ingestion, on its own thread (see src/ingestion/readFocusRecords.ts for the other half).
 *
 * Parsing is the single largest cost of an ingestion, and billing exports repeat the same few thousand values
 * (accounts, services, SKUs, days) row after row. This thread decodes and scans the bytes the main thread hands it (csvScanner.js,
 * which says why it is not PapaParse) and sends each row back as numbers: per column the main thread reads, the id of the value in a
 * dictionary both sides build in the same order. The main thread then validates, attributes and sums while this
 * one parses the next rows, and it meets each distinct value as one string object, whose hash V8 computes once.
 *
 * Plain JavaScript with no imports but the scanner, so it runs as it is under the development loader, Jest and a
 * production build alike.
 *
 * Flow control keeps memory flat: the main thread sends a few chunks of text ahead and one more for each this
 * thread uses, and the scanner pauses while MAX_UNACKED batches wait for the main thread.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { CsvScanner, CsvSyntaxError, fieldValue } = require('./csvScanner');
const { utf8Decoder, InvalidUtf8Error } = require('./utf8Decoder');
const { readDecimal, OK } = require('./focusDecimal');

if (!parentPort) throw new Error('focusParser.js runs as a worker thread');
const port = parentPort;

const BATCH_ROWS = 8192;
const MAX_UNACKED = 4;
/** Distinct values kept per column before its dictionary starts over (high-cardinality columns, e.g. costs). */
const DICTIONARY_LIMIT = (workerData && workerData.dictionaryLimit) || 50_000;

/** @type {number[]} positions of the columns the main thread reads */
let columns = [];
/** Per position in a row, which of `columns` it is, or -1 for a column nobody reads. */
let columnAt = new Int32Array(0);
/**
 * Per column read, its slot among the decimal columns, or -1. A decimal the grammar accepts (focusDecimal.js) is sent
 * as two numbers, its whole units and its fraction; anything else goes as text, for the main thread to refuse.
 */
let numericSlot = new Int32Array(0);
let numericWidth = 0;
/** @type {Array<Map<string, number>>} */
let dictionaries = [];
/**
 * Per column, the previous row's field as written (quotes and all) and its id: consecutive rows repeat most values,
 * and a repeat is recognised before any unquoting or dictionary lookup.
 * @type {Array<string | undefined>}
 */
let previousRaw = [];
let previousId = new Int32Array(0);
/** A dictionary reached its limit: it starts over once the row is sent. */
let full = false;
let unacked = 0;
let waitingForColumns = false;
let failed = false;
let finished = false;
/** @type {string[] | undefined} the header's fields, until it is sent */
let header = [];

/** The batch being filled. */
let batch = newBatch();
function newBatch() {
  const width = columns.length;
  return {
    rows: 0,
    counts: new Int32Array(BATCH_ROWS),
    ids: new Int32Array(BATCH_ROWS * width),
    numbers: new Float64Array(BATCH_ROWS * numericWidth * 2),
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
}

/** Id meaning "the value is in `numbers`". */
const NUMBER = -2;
/** Id meaning "the row has no such field". */
const ABSENT = -1;

/**
 * A string that does not share memory with the text it was sliced from (V8 keeps slices of 13 characters or more
 * as views on their parent). Concatenating makes a new string, slicing it again keeps only that one.
 * @param {string} value
 */
function copyOf(value) {
  return value.length < 13 ? value : ` ${value}`.slice(1);
}

const scanner = new CsvScanner({
  field(text, start, end, quoted, escaped, index) {
    if (header) {
      if (index === 0) header = [];
      header.push(fieldValue(text, start, end, quoted, escaped));
      return;
    }
    if (index >= columnAt.length) return;
    const j = columnAt[index];
    if (j < 0) return;
    const row = batch.rows;
    const at = row * columns.length + j;
    const slot = numericSlot[j];
    if (slot >= 0) {
      const number = (row * numericWidth + slot) * 2;
      let read;
      if (quoted) {
        const value = fieldValue(text, start, end, true, escaped);
        read = readDecimal(value, 0, value.length, batch.numbers, number);
      } else read = readDecimal(text, start, end, batch.numbers, number);
      if (read === OK) {
        batch.ids[at] = NUMBER;
        return;
      }
    }
    // A slice and === beat startsWith(previous, start) by about 2x here (V8 compares flat strings with memcmp).
    const raw = text.slice(start, end);
    if (raw === previousRaw[j]) {
      batch.ids[at] = previousId[j];
      return;
    }
    const value = quoted ? fieldValue(raw, 0, raw.length, true, escaped) : raw;
    const dictionary = dictionaries[j];
    let id = dictionary.get(value);
    if (id === undefined) {
      id = dictionary.size;
      // A copy: a slice keeps the whole 64 KB piece of text it came from alive, and the dictionary outlives it.
      dictionary.set(copyOf(value), id);
      batch.added[j].push(value);
      if (dictionary.size >= DICTIONARY_LIMIT) full = true;
    }
    batch.ids[at] = id;
    previousRaw[j] = raw;
    previousId[j] = id;
  },
  record(count) {
    if (header) {
      if (header.length > 0) header[0] = header[0].replace(/^\uFEFF/, '');
      port.postMessage({ type: 'header', fields: header });
      header = undefined;
      // Rows wait until the main thread says which columns it reads.
      waitingForColumns = true;
      return false;
    }
    const row = batch.rows;
    batch.counts[row] = count;
    // A row shorter than the last position read lacks some columns.
    if (count < columnAt.length) {
      const base = row * columns.length;
      for (let j = 0; j < columns.length; j++) {
        if (columns[j] >= count) batch.ids[base + j] = ABSENT;
      }
    }
    batch.rows += 1;
    if (full) {
      // The ids sent so far refer to the full dictionaries: send them, then start those dictionaries over.
      flush();
      for (let j = 0; j < columns.length; j++) {
        if (dictionaries[j].size < DICTIONARY_LIMIT) continue;
        dictionaries[j].clear();
        previousRaw[j] = undefined;
        batch.reset.push(j);
      }
      full = false;
    } else if (batch.rows === BATCH_ROWS) flush();
    return unacked < MAX_UNACKED;
  },
});

/** Bytes received and not yet given to the scanner; null ends them. @type {Array<Uint8Array | null>} */
const pending = [];
/** What is left of the chunk being scanned. @type {Uint8Array | undefined} */
let current;
/**
 * Text goes to the scanner at most this many bytes at a time, whatever the size of the chunks that come: V8 puts a
 * string over 128 KB in its large-object space, and decoding, searching and slicing such strings measured several
 * times slower (1,000,000 rows in 1 MB chunks: 5.5 s against 2.3 s in 64 KB ones).
 */
const PIECE = 64 * 1024;

const decode = utf8Decoder();
let running = false;
/** The bytes stopped being UTF-8: once the text before them is scanned, the record they are in is refused. */
let invalidUtf8 = '';

/**
 * Decodes bytes (null at the end) and hands the text to the scanner.
 * @param {Uint8Array | null} bytes
 */
function push(bytes) {
  try {
    const text = decode(bytes);
    if (text) scanner.push(text);
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) throw error;
    if (error.text) scanner.push(error.text);
    invalidUtf8 = error.message;
  }
}

/** Scans as far as the text received, the main thread's pace and the header's answer allow. */
function run() {
  if (running || failed || finished) return;
  running = true;
  try {
    while (!waitingForColumns && unacked < MAX_UNACKED) {
      const state = scanner.scan();
      if (state === 'paused') continue;
      if (invalidUtf8 && state === 'more') {
        throw new CsvSyntaxError(scanner.records + 1, invalidUtf8);
      }
      if (state === 'end') {
        finished = true;
        flush();
        port.postMessage({ type: 'done' });
        return;
      }
      if (current) {
        push(current.subarray(0, PIECE));
        current = current.length > PIECE ? current.subarray(PIECE) : undefined;
        // A chunk used up: the main thread may send one more.
        if (!current) port.postMessage({ type: 'more' });
        continue;
      }
      if (pending.length === 0) return;
      const chunk = pending.shift();
      if (chunk === null || chunk === undefined) {
        push(null);
        if (!invalidUtf8) scanner.end();
      } else current = chunk;
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    failed = true;
    // The rows before the fault go first, so that their own problems are reported too.
    flush();
    port.postMessage({
      type: 'error',
      line: error.record,
      message: error.message,
      encoding: Boolean(invalidUtf8),
    });
  } finally {
    running = false;
  }
}

port.on('message', message => {
  switch (message.type) {
    case 'chunk':
      pending.push(message.bytes);
      run();
      break;
    case 'end':
      pending.push(null);
      run();
      break;
    case 'columns': {
      columns = message.columns;
      columnAt = new Int32Array(Math.max(-1, ...columns) + 1).fill(-1);
      columns.forEach((position, j) => {
        columnAt[position] = j;
      });
      numericSlot = Int32Array.from(message.numericSlot);
      numericWidth = numericSlot.filter(slot => slot >= 0).length;
      dictionaries = columns.map(() => new Map());
      previousRaw = columns.map(() => undefined);
      previousId = new Int32Array(columns.length);
      batch = newBatch();
      waitingForColumns = false;
      run();
      break;
    }
    case 'ack':
      unacked -= 1;
      if (unacked <= MAX_UNACKED / 2) run();
      break;
    default:
      break;
  }
});
