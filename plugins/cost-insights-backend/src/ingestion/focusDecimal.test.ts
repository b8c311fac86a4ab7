import fc from 'fast-check';
import {
  addDecimal,
  decimalToNumber,
  formatDecimal,
  MAX_SUM,
  NOT_A_NUMBER,
  OK,
  readDecimal,
  TOO_LARGE,
} from '../../workers/focusDecimal';

/** The exact text of what readDecimal read, or its refusal. */
function read(text: string): string | 'NOT_A_NUMBER' | 'TOO_LARGE' {
  const out = new Float64Array(2);
  const result = readDecimal(text, 0, text.length, out, 0);
  if (result === NOT_A_NUMBER) return 'NOT_A_NUMBER';
  if (result === TOO_LARGE) return 'TOO_LARGE';
  expect(result).toBe(OK);
  return formatDecimal(out[0], out[1]);
}

describe('focusDecimal (the one grammar of FOCUS amounts)', () => {
  it.each([
    ['12', '12'],
    ['-12.5', '-12.5'],
    ['0.00000080000', '0.0000008'],
    ['.5', '0.5'],
    ['3.', '3'],
    ['-0', '0'],
    [' 7.25 ', '7.25'],
    ['1.5E-05', '0.000015'],
    ['2e3', '2000'],
    ['2E+3', '2000'],
    ['0.12345678901234567890', '0.123456789012346'],
    ['0.0000000000000005', '0'],
    ['0.0000000000000015', '0.000000000000002'],
    ['999999999999999.999999999999999', '999999999999999.999999999999999'],
    ['1e-999', '0'],
  ])('reads %p as %p', (text, expected) => {
    expect(read(text)).toBe(expected);
  });

  it.each([
    '0x1A',
    'Infinity',
    '-Infinity',
    'NaN',
    '+5',
    '1,000',
    '1_000',
    '$3',
    '12 GB',
    '',
    '-',
    '.',
    '1.2.3',
    '--1',
    '1e',
    'e5',
    '1 000',
  ])('refuses %p as not a number', text => {
    expect(read(text)).toBe('NOT_A_NUMBER');
  });

  it.each(['1e999', '1.7e308', '1000000000000000', '-1e15', '1e16'])(
    'refuses %p as too large',
    text => {
      expect(read(text)).toBe('TOO_LARGE');
    },
  );

  it('reads a value where it lies in a longer text', () => {
    const out = new Float64Array(4);
    expect(readDecimal('a,-1.25,b', 2, 7, out, 2)).toBe(OK);
    expect(formatDecimal(out[2], out[3])).toBe('-1.25');
  });

  it('sums exactly, whatever the order and signs (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), {
          maxLength: 50,
        }),
        values => {
          // Each value has 12 decimals: value / 10^12.
          const sum = new Float64Array(2);
          let expected = 0n;
          for (const v of values) {
            const negative = v < 0n;
            const abs = negative ? -v : v;
            const text = `${negative ? '-' : ''}${abs / 10n ** 12n}.${String(
              abs % 10n ** 12n,
            ).padStart(12, '0')}`;
            const out = new Float64Array(2);
            expect(readDecimal(text, 0, text.length, out, 0)).toBe(OK);
            expect(addDecimal(sum, 0, out[0], out[1])).toBe(true);
            expected += v;
          }
          const negative = expected < 0n;
          const abs = negative ? -expected : expected;
          const fraction = String(abs % 10n ** 12n)
            .padStart(12, '0')
            .replace(/0+$/, '');
          const text = `${negative && abs !== 0n ? '-' : ''}${
            abs / 10n ** 12n
          }${fraction ? `.${fraction}` : ''}`;
          expect(formatDecimal(sum[0], sum[1])).toBe(text);
          expect(decimalToNumber(sum[0], sum[1])).toBeCloseTo(Number(text), 3);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says when a sum leaves the range it is exact in', () => {
    const sum = new Float64Array(2);
    expect(addDecimal(sum, 0, MAX_SUM - 1, 0)).toBe(true);
    expect(addDecimal(sum, 0, 1, 0)).toBe(false);
  });
});
