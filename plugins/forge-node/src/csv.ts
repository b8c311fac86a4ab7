/* eslint-disable no-control-regex -- control characters are exactly what must be skipped before a formula */
import { stringify, Stringifier } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

/**
 * Characters a spreadsheet (Excel, LibreOffice, Google Sheets, Numbers) reads as the start of a formula, in ASCII
 * and in the look-alikes some of them normalise to ASCII: full-width, small forms, superscript and subscript (and
 * any other character whose NFKC form starts with one of them, tested below).
 */
const FORMULA_START =
  /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE62\uFE63\uFE66\uFE6B\u207A-\u207C\u208A-\u208C]/;
/**
 * Whitespace, control characters, invisible characters (soft hyphen, joiners, direction marks and isolates, fillers,
 * the byte order mark) and double quotes a spreadsheet may skip or not show before it looks for a formula (a reader
 * that unquotes a cell twice turns `"=cmd` into `=cmd`).
 */
const LEADING_BLANKS =
  /^[\s\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0"]+/;
/** A plain decimal number, which a spreadsheet reads as that number and never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Makes a text cell safe to open in a spreadsheet (OWASP "CSV injection"): a cell that would start a formula (= + - @
 * or a look-alike whose NFKC form is one), after any leading blanks, control or invisible characters or double
 * quotes, or that starts with a tab, carriage return or line feed, is prefixed
 * with a single quote so that it is shown as text. Plain numbers are left as they are so that figures stay figures.
 *
 * csv-stringify's own `escape_formulas` looks at the first character only: it misses `" =HYPERLINK(...)"` and
 * `"\n=cmd"`, which some spreadsheets trim before evaluating, so the rule is written here once for all of Forge.
 *
 * @public
 */
export function neutraliseSpreadsheetFormula(value: string): string {
  if (value === '' || PLAIN_NUMBER.test(value)) return value;
  return /^[\t\r\n]/.test(value) || startsFormula(value) ? `'${value}` : value;
}

/** Whether the first character after leading blanks and invisible characters starts a formula, or a look-alike. */
function startsFormula(value: string): boolean {
  const rest = value.replace(LEADING_BLANKS, '');
  const first = rest.codePointAt(0);
  if (first === undefined) return false;
  return (
    FORMULA_START.test(rest) ||
    /^[=+\-@]/.test(String.fromCodePoint(first).normalize('NFKC'))
  );
}

/**
 * The same rule for every text value of a JSON document a person will open elsewhere (an OSCAL export goes into
 * GRC tools that flatten it into spreadsheets): a copy in which each string, at any depth, is neutralised; keys,
 * numbers, booleans and null are kept. Strings Forge writes itself (ids, dates, refs, sentences) never start a
 * formula, so in practice only text a person typed can change.
 *
 * @public
 */
export function neutraliseSpreadsheetFormulasDeep<T>(value: T): T {
  if (typeof value === 'string')
    return neutraliseSpreadsheetFormula(value) as unknown as T;
  if (Array.isArray(value))
    return value.map(v => neutraliseSpreadsheetFormulasDeep(v)) as unknown as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        neutraliseSpreadsheetFormulasDeep(v),
      ]),
    ) as T;
  }
  return value;
}

/** A cell value: text is neutralised, numbers and booleans are written as they are, null and undefined as empty. */
export type CsvValue = string | number | bigint | boolean | null | undefined;

/** @public */
export type CsvColumn<T> = {
  /** The header cell. */
  header: string;
  /** The cell of one row. */
  value: (row: T) => CsvValue | Date | readonly string[];
};

function cell(value: CsvValue | Date | readonly string[]): string | number {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value))
    return neutraliseSpreadsheetFormula(value.join(' '));
  if (typeof value === 'number') {
    // A figure that is not finite has no CSV form a spreadsheet reads back; an empty cell says "no value".
    return Number.isFinite(value) ? value : '';
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return neutraliseSpreadsheetFormula(String(value));
}

const OPTIONS = {
  // RFC 4180 line endings: what spreadsheets and auditors' tools expect.
  record_delimiter: 'windows' as const,
  // Every text cell quoted, so that a leading quote or blank survives any CSV reader.
  quoted_string: true,
};

/**
 * The whole CSV of `rows` as one string, with a header line. For exports small enough to build in memory.
 *
 * @public
 */
export function toCsv<T>(rows: Iterable<T>, columns: CsvColumn<T>[]): string {
  const records: Array<Array<string | number>> = [
    columns.map(c => neutraliseSpreadsheetFormula(c.header)),
  ];
  for (const row of rows) records.push(columns.map(c => cell(c.value(row))));
  return stringifySync(records, OPTIONS);
}

/**
 * A streaming CSV writer with a header line: write rows to it and pipe it to a response or a file.
 *
 * @public
 */
export function createCsvStream<T>(columns: CsvColumn<T>[]): {
  stream: Stringifier;
  write: (row: T) => boolean;
  end: () => void;
} {
  const stream = stringify(OPTIONS);
  stream.write(columns.map(c => neutraliseSpreadsheetFormula(c.header)));
  return {
    stream,
    write: row => stream.write(columns.map(c => cell(c.value(row)))),
    end: () => stream.end(),
  };
}
