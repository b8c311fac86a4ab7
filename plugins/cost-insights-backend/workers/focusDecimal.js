// @ts-check
/**
 * The one grammar of FOCUS amounts and quantities, and the exact arithmetic on them. The parser thread (plain
 * JavaScript, focusParser.js) reads decimals with it where they lie in the CSV text, the main thread
 * (FocusRowReader, the Parquet and SQL sources) reads the rest with it: one function, so the two can never disagree.
 *
 * Grammar (FOCUS 1.x "Numeric Format", docs/cost.md "What is accepted"): an optional minus sign, digits with at most
 * one decimal point (`12`, `-0.5`, `.5`, `3.`), and, as a documented tolerance for exports written from
 * double-typed columns, an exponent `E`/`e` with an optional sign (`1.5E-05`). Blanks around
 * the number are ignored. Nothing else: no `+` sign, no `0x1A`, no `Infinity` or `NaN`, no thousands separators, no
 * currency symbols.
 *
 * Exactness: a value is held as two integers, each exact in a double: its whole units (`hi`) and its fraction in
 * units of 10^-15 (`lo`), with the same sign. Sums of such pairs are exact (no binary float drift: 0.1 + 0.2 is
 * 0.3); a value with more than 15 decimals is rounded half to even at the 15th. Limits: a value's magnitude must be
 * below 10^15 (MAX_MAGNITUDE) and a sum's below 9 x 10^15 (MAX_SUM); beyond that the row or the file is refused,
 * never summed to Infinity.
 */
'use strict';

/** Decimals kept exactly. */
const SCALE_DIGITS = 15;
const SCALE = 1e15;
/** A value's magnitude must be below this. */
const MAX_MAGNITUDE = 1e15;
/** A sum's whole units must stay within this (below 2^53, where doubles stop holding every integer). */
const MAX_SUM = 9e15;

/** readDecimal's answers. */
const OK = 0;
const NOT_A_NUMBER = 1;
const TOO_LARGE = 2;

/** @param {number} c */
function isBlank(c) {
  return c === 32 || c === 9;
}

/**
 * Reads `text` from `start` to `end` as a FOCUS decimal into `out[at]` (whole units) and `out[at + 1]` (fraction in
 * 10^-15). Returns OK, NOT_A_NUMBER or TOO_LARGE; `out` is written only when OK.
 * @param {string} text
 * @param {number} start
 * @param {number} end
 * @param {Float64Array | number[]} out
 * @param {number} at
 * @returns {number}
 */
function readDecimal(text, from, to, out, at) {
  let start = from;
  let end = to;
  while (start < end && isBlank(text.charCodeAt(start))) start += 1;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end -= 1;
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i += 1;
  // The common case, read in one pass: at most 15 whole digits, at most 15 decimals, no exponent.
  let hi = 0;
  let lo = 0;
  let wholeDigits = 0;
  let decimals = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (decimals < 0) {
        hi = hi * 10 + (c - 48);
        wholeDigits += 1;
      } else {
        lo = lo * 10 + (c - 48);
        decimals += 1;
      }
    } else if (c === 46 && decimals < 0) decimals = 0;
    else break;
  }
  const digits = wholeDigits + (decimals > 0 ? decimals : 0);
  if (i === end) {
    if (digits === 0) return NOT_A_NUMBER;
    if (wholeDigits <= SCALE_DIGITS && decimals <= SCALE_DIGITS) {
      if (hi >= MAX_MAGNITUDE) return TOO_LARGE;
      if (decimals > 0) lo *= 10 ** (SCALE_DIGITS - decimals);
      out[at] = negative ? -hi || 0 : hi;
      out[at + 1] = negative ? -lo || 0 : lo;
      return OK;
    }
  }
  return readLongDecimal(text, start, end, out, at);
}

const LONG_DECIMAL = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/;

/**
 * The rare forms: an exponent, or more than 15 digits on either side of the point. Digits are shifted by the
 * exponent as text, then read as in the common case with the 16th decimal onwards rounded half to even.
 * @param {string} text
 * @param {number} start
 * @param {number} end
 * @param {Float64Array | number[]} out
 * @param {number} at
 */
function readLongDecimal(text, start, end, out, at) {
  const m = LONG_DECIMAL.exec(text.slice(start, end));
  if (!m) return NOT_A_NUMBER;
  const whole = m[2];
  const fraction = m[3] ?? '';
  if (whole.length + fraction.length === 0) return NOT_A_NUMBER;
  const exponent = m[4] ? Number(m[4]) : 0;
  let digits = (whole + fraction).replace(/^0+/, '');
  /** Where the point stands in `digits`, counted from its first digit. */
  let point =
    whole.length - (whole + fraction).length + digits.length + exponent;
  if (digits === '') {
    out[at] = 0;
    out[at + 1] = 0;
    return OK;
  }
  if (point > SCALE_DIGITS) return TOO_LARGE;
  if (point < -SCALE_DIGITS) {
    // The first digit lies past the 16th decimal: the value rounds to zero.
    out[at] = 0;
    out[at + 1] = 0;
    return OK;
  }
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (digits.length < point) digits = digits.padEnd(point, '0');
  const wholePart = digits.slice(0, point);
  const kept = digits
    .slice(point, point + SCALE_DIGITS)
    .padEnd(SCALE_DIGITS, '0');
  const dropped = digits.slice(point + SCALE_DIGITS);
  let hi = wholePart === '' ? 0 : Number(wholePart);
  let lo = Number(kept);
  if (dropped !== '') {
    const first = dropped.charCodeAt(0) - 48;
    const rest = /[1-9]/.test(dropped.slice(1));
    if (first > 5 || (first === 5 && (rest || lo % 2 === 1))) {
      lo += 1;
      if (lo === SCALE) {
        lo = 0;
        hi += 1;
      }
    }
  }
  if (hi >= MAX_MAGNITUDE) return TOO_LARGE;
  const negative = m[1] === '-';
  out[at] = negative ? -hi || 0 : hi;
  out[at + 1] = negative ? -lo || 0 : lo;
  return OK;
}

/**
 * Adds the pair (hi, lo) to the sum kept in `sums[at]`, `sums[at + 1]`, exactly. Returns false when the sum's
 * magnitude reaches MAX_SUM (the sum is then no longer exact and must be refused).
 * @param {Float64Array | number[]} sums
 * @param {number} at
 * @param {number} hi
 * @param {number} lo
 */
function addDecimal(sums, at, hi, lo) {
  let h = sums[at] + hi;
  let l = sums[at + 1] + lo;
  if (l >= SCALE || l <= -SCALE) {
    const carry = Math.trunc(l / SCALE);
    h += carry;
    l -= carry * SCALE;
  }
  sums[at] = h;
  sums[at + 1] = l;
  return h < MAX_SUM && h > -MAX_SUM;
}

/**
 * The nearest double to a pair (what is stored and answered).
 * @param {number} hi
 * @param {number} lo
 */
function decimalToNumber(hi, lo) {
  return hi + lo / SCALE;
}

/**
 * The exact decimal text of a pair, e.g. `-12.5`.
 * @param {number} hi
 * @param {number} lo
 */
function formatDecimal(wholeUnits, fractionUnits) {
  let hi = wholeUnits;
  let lo = fractionUnits;
  // Bring both parts to the sign of the whole.
  if (hi > 0 && lo < 0) {
    hi -= 1;
    lo += SCALE;
  } else if (hi < 0 && lo > 0) {
    hi += 1;
    lo -= SCALE;
  }
  const negative = hi < 0 || lo < 0;
  const whole = String(Math.abs(hi));
  const fraction = String(Math.abs(lo))
    .padStart(SCALE_DIGITS, '0')
    .replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

module.exports = {
  readDecimal,
  addDecimal,
  decimalToNumber,
  formatDecimal,
  OK,
  NOT_A_NUMBER,
  TOO_LARGE,
  SCALE,
  MAX_MAGNITUDE,
  MAX_SUM,
};
