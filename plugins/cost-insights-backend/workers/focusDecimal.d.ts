// Types of focusDecimal.js, which stays plain JavaScript so that the parser thread runs it under any loader.

export const OK: 0;
export const NOT_A_NUMBER: 1;
export const TOO_LARGE: 2;
/** Units of the fraction part: 10^15. */
export const SCALE: number;
/** A value's magnitude must be below this (10^15). */
export const MAX_MAGNITUDE: number;
/** A sum's magnitude must stay below this (9 x 10^15). */
export const MAX_SUM: number;

/** Reads a FOCUS decimal into out[at] (whole units) and out[at + 1] (fraction in 10^-15); OK, NOT_A_NUMBER or TOO_LARGE. */
export function readDecimal(
  text: string,
  start: number,
  end: number,
  out: Float64Array | number[],
  at: number,
): 0 | 1 | 2;

/** Adds (hi, lo) to the exact sum at sums[at], sums[at + 1]; false once the sum reaches MAX_SUM. */
export function addDecimal(
  sums: Float64Array | number[],
  at: number,
  hi: number,
  lo: number,
): boolean;

/** The nearest double of a pair. */
export function decimalToNumber(hi: number, lo: number): number;

/** The exact decimal text of a pair. */
export function formatDecimal(hi: number, lo: number): string;
