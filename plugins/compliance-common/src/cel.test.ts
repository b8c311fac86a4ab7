import fc from 'fast-check';
import { compileRule } from './cel';

describe('compileRule', () => {
  it('routes matches() to RE2, also on parenthesised receivers and inside macros', () => {
    const variables = {
      annotations: { a: 'xxx' },
      related: [{ kind: 'Resource' }, { kind: 'Component' }],
    };
    expect(compileRule('annotations["a"].matches("^x+$")')(variables)).toBe(
      true,
    );
    expect(
      compileRule(
        '( annotations["a"] + "y" ).matches("^x+y$") && !annotations["a"].matches("z")',
      )(variables),
    ).toBe(true);
    expect(
      compileRule('related.exists(r, (r.kind).matches("^Res"))')(variables),
    ).toBe(true);
    expect(
      compileRule('related.all(r, r.kind.matches("^Res"))')(variables),
    ).toBe(false);
  });

  it('agrees with a regular expression on random text (RE2 and JavaScript agree on this pattern)', () => {
    const rule = compileRule(
      'annotations["v"].matches("^[A-Za-z0-9_.:/-]+=[^,=]+(,[A-Za-z0-9_.:/-]+=[^,=]+)*$")',
    );
    const pattern = /^[A-Za-z0-9_.:/-]+=[^,=]+(,[A-Za-z0-9_.:/-]+=[^,=]+)*$/;
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z=,.]{0,12}$/), (v: string) => {
        expect(rule({ annotations: { v } })).toBe(pattern.test(v));
      }),
    );
  });

  it('uses RE2, not JavaScript RegExp: RE2 syntax works and catastrophic patterns stay linear', () => {
    // JavaScript has no global (?i) flag: this only passes if RE2 runs the pattern.
    expect(
      compileRule('annotations["a"].matches("(?i)^xXx$")')({
        annotations: { a: 'XXX' },
      }),
    ).toBe(true);
    // A backtracking engine would not finish this before the test times out; RE2 answers at once.
    expect(
      compileRule('annotations["a"].matches("^(a+)+$")')({
        annotations: { a: `${'a'.repeat(5000)}!` },
      }),
    ).toBe(false);
  });

  it('refuses rules that read unknown variables, call unknown functions or use non-RE2 patterns', () => {
    expect(() => compileRule('owner == "x"')).toThrow(
      /Unknown variable: owner/,
    );
    expect(() => compileRule('annotations.shout()')).toThrow(
      /no matching overload/,
    );
    expect(() => compileRule('kind.matches("(?<=a)b")')).toThrow(
      /invalid regular expression "\(\?<=a\)b".*RE2 syntax/,
    );
    expect(() => compileRule('kind ==')).toThrow(/Unexpected token/);
  });
});
