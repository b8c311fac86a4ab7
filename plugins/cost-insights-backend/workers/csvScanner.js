// @ts-check
/**
 * A streaming CSV scanner for the FOCUS parser thread (focusParser.js). It reads CSV as PapaParse does with the
 * options Forge used (delimiter and line ending guessed from the first line, quote `"` escaped by doubling, empty
 * lines skipped, whitespace allowed between a closing quote and what follows it) and fails where PapaParse reports an
 * error: a quoted field left open at the end of the text, or a closing quote followed by anything but a delimiter or a
 * line end. src/ingestion/csvScanner.test.ts holds it to PapaParse's records on random CSV.
 *
 * Why not PapaParse itself: ingestion reads each value once to turn it into a dictionary id, and most values repeat
 * the row before. PapaParse hands over every field of every row as a new string in a new array, and the ids then have
 * to read those strings again. This scanner reports each field as a position in the text, so the parser thread
 * compares a repeated value where it lies, makes a string only for a value it has not just seen, and never makes
 * one for a column Forge does not read. On 1,000,000 FOCUS rows that took the parser thread from about 3.3 s
 * (PapaParse 2.1 s and ids 1.2 s) to well under PapaParse's time alone (measured with bench/cost-ingestion).
 *
 * Plain JavaScript with no imports, so the worker thread runs it as it is under every loader.
 */
'use strict';

const QUOTE = 34;
const COMMA = 44;
/** Delimiters a first line may use, a comma first. */
const DELIMITERS = [COMMA, 59, 9, 124];

/**
 * The delimiter that occurs most, a comma on a tie.
 * @param {Map<number, number>} counts
 */
function mostFrequent(counts) {
  let best = COMMA;
  for (const [d, count] of counts) {
    if (count > /** @type {number} */ (counts.get(best))) best = d;
  }
  return best;
}

/** What String.prototype.trim() removes. */
const SPACES = new Set(
  [...'\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff'].map(c =>
    c.charCodeAt(0),
  ),
);
/** @param {number} c */
function isSpace(c) {
  return c === 32 || SPACES.has(c) || (c >= 0x2000 && c <= 0x200a);
}
const DOUBLED_QUOTES = /""/g;

/** The text is not valid CSV; `record` is the number of the record at fault (the header is record 1). */
class CsvSyntaxError extends Error {
  /**
   * @param {number} record
   * @param {string} message
   */
  constructor(record, message) {
    super(message);
    this.name = 'CsvSyntaxError';
    this.record = record;
  }
}

/**
 * A field's value, from its raw bounds in the text (a quoted field's bounds include its quotes).
 * @param {string} text
 * @param {number} start
 * @param {number} end
 * @param {boolean} quoted
 * @param {boolean} escaped whether the quoted field holds doubled quotes
 */
function fieldValue(text, start, end, quoted, escaped) {
  if (!quoted) return text.slice(start, end);
  const inner = text.slice(start + 1, end - 1);
  return escaped ? inner.replace(DOUBLED_QUOTES, '"') : inner;
}

/**
 * What receives the fields. `field` gets each field's raw bounds in `text` (valid until `record` returns) and its
 * position in the record; `record` ends the record with its field count and returns whether to go on scanning.
 * A field at position 0 starts a record afresh: a record cut off by the end of the text so far comes again whole
 * once more text is there, and a line of one empty field is dropped that way (PapaParse's skipEmptyLines).
 * @typedef {{
 *   field(text: string, start: number, end: number, quoted: boolean, escaped: boolean, index: number): void,
 *   record(count: number): boolean,
 * }} CsvSink
 */

class CsvScanner {
  /** @param {CsvSink} sink */
  constructor(sink) {
    this.sink = sink;
    /** Text received and not yet scanned past, from `pos`. */
    this.text = '';
    this.pos = 0;
    /** @type {string | undefined} */
    this.newline = undefined;
    /** The delimiter's character code, once guessed with the line ending. */
    this.delimiter = COMMA;
    /** Records ended so far (the header included). */
    this.records = 0;
    this.ended = false;
    /**
     * Text wanted before scanning again, once a record was cut off: twice what it had then. A record longer than many
     * chunks (one huge quoted field, or a quote never closed) is then scanned again a few times, not once per chunk.
     */
    this.wanted = 0;
  }

  /** @param {string} chunk more text */
  push(chunk) {
    this.text =
      this.pos < this.text.length ? this.text.slice(this.pos) + chunk : chunk;
    this.pos = 0;
  }

  /** No more text will come. */
  end() {
    this.ended = true;
  }

  /**
   * Takes the line ending from the first one outside quotes: `\n`, `\r\n` or a lone `\r`; and the delimiter from the
   * first line: a comma, unless a semicolon, tab or bar separates more of it (spreadsheet exports in some locales).
   * False while the text so far holds no line ending. (PapaParse guesses both from the first chunk of text; on a
   * well-formed export the two agree.)
   */
  guessNewline() {
    const { text, pos, ended } = this;
    const limit = Math.min(text.length, pos + 1_048_576);
    let quoted = false;
    /** Per candidate delimiter, how often it occurs outside quotes in the first line. */
    const counts = new Map(DELIMITERS.map(d => [d, 0]));
    for (let i = pos; i < limit; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) quoted = !quoted;
      else if (!quoted && c === 10) {
        this.newline = '\n';
        this.delimiter = mostFrequent(counts);
        return true;
      } else if (!quoted && c === 13) {
        if (i + 1 === text.length && !ended) return false;
        this.newline = text.charCodeAt(i + 1) === 10 ? '\r\n' : '\r';
        this.delimiter = mostFrequent(counts);
        return true;
      } else if (!quoted && counts.has(c)) {
        counts.set(c, /** @type {number} */ (counts.get(c)) + 1);
      }
    }
    if (!ended && limit - pos < 1_048_576) return false;
    this.newline = '\n';
    this.delimiter = mostFrequent(counts);
    return true;
  }

  /**
   * The record from `start` runs past the end of the text so far (`length`): wait for as much again.
   * @param {number} start
   * @param {number} length
   * @returns {'more'}
   */
  cutOff(start, length) {
    this.wanted = 2 * (length - start);
    return 'more';
  }

  /**
   * Scans records, handing their fields to the sink, until it needs more text (`more`), the sink asks to pause
   * (`paused`) or the text has ended (`end`). A record cut off by the end of the text so far is scanned again,
   * whole, once more text has come. Throws a CsvSyntaxError where the text is not valid CSV.
   * @returns {'more' | 'paused' | 'end'}
   */
  scan() {
    if (!this.ended && this.text.length - this.pos < this.wanted) return 'more';
    if (this.newline === undefined && !this.guessNewline()) return 'more';
    const newline = /** @type {string} */ (this.newline);
    const newlineLength = newline.length;
    const { sink, text, ended } = this;
    const n = text.length;
    const delimiterCode = this.delimiter;
    const delimiter = String.fromCharCode(delimiterCode);
    /** The next delimiter and line ending at or after where the scan is, -1 when the text has none. */
    let comma = text.indexOf(delimiter, this.pos);
    let lineEnd = text.indexOf(newline, this.pos);
    for (;;) {
      const p = this.pos;
      if (p >= n) return ended ? 'end' : 'more';
      // Empty lines hold no record (PapaParse's skipEmptyLines; a line of one empty quoted field neither, below).
      if (text.startsWith(newline, p)) {
        this.pos = p + newlineLength;
        continue;
      }
      let q = p;
      let index = 0;
      let emptyFirst = false;
      /** Where the record's text ends, line ending included; -1 while inside it. */
      let next = -1;
      while (next < 0) {
        if (text.charCodeAt(q) === QUOTE) {
          let close = q;
          let escaped = false;
          for (;;) {
            close = text.indexOf('"', close + 1);
            if (close === -1) {
              if (!ended) return this.cutOff(p, n);
              throw new CsvSyntaxError(
                this.records + 1,
                'Quoted field unterminated',
              );
            }
            if (text.charCodeAt(close + 1) !== QUOTE) break;
            escaped = true;
            close += 1;
          }
          // Whitespace may stand between a closing quote and the delimiter or line ending that follows it.
          let after = close + 1;
          while (
            after < n &&
            isSpace(text.charCodeAt(after)) &&
            text.charCodeAt(after) !== delimiterCode &&
            !text.startsWith(newline, after)
          ) {
            after += 1;
          }
          if (after >= n) {
            if (!ended) return this.cutOff(p, n);
            // PapaParse takes spaces after a closing quote only before a delimiter or a line ending.
            if (after > close + 1) {
              throw new CsvSyntaxError(
                this.records + 1,
                'Trailing quote on quoted field is malformed',
              );
            }
            next = n;
          } else if (text.charCodeAt(after) === delimiterCode) {
            sink.field(text, q, close + 1, true, escaped, index);
            index += 1;
            q = after + 1;
            continue;
          } else if (text.startsWith(newline, after)) {
            next = after + newlineLength;
          } else if (!ended && newline.startsWith(text.slice(after))) {
            return this.cutOff(p, n);
          } else {
            throw new CsvSyntaxError(
              this.records + 1,
              'Trailing quote on quoted field is malformed',
            );
          }
          sink.field(text, q, close + 1, true, escaped, index);
          if (index === 0) emptyFirst = close === q + 1;
          index += 1;
        } else {
          if (comma !== -1 && comma < q) comma = text.indexOf(delimiter, q);
          if (lineEnd !== -1 && lineEnd < q) lineEnd = text.indexOf(newline, q);
          if (comma !== -1 && (lineEnd === -1 || comma < lineEnd)) {
            sink.field(text, q, comma, false, false, index);
            index += 1;
            q = comma + 1;
            continue;
          }
          if (lineEnd === -1 && !ended) return this.cutOff(p, n);
          const end = lineEnd === -1 ? n : lineEnd;
          sink.field(text, q, end, false, false, index);
          if (index === 0) emptyFirst = end === q;
          index += 1;
          next = lineEnd === -1 ? n : lineEnd + newlineLength;
        }
      }
      this.pos = next;
      this.wanted = 0;
      if (index === 1 && emptyFirst) continue;
      this.records += 1;
      if (!sink.record(index)) return 'paused';
    }
  }
}

module.exports = { CsvScanner, CsvSyntaxError, fieldValue };
