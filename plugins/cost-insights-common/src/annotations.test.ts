import { parseCostTags, parseMonthlyBudget } from './annotations';

describe('parseCostTags', () => {
  it('reads comma-separated key=value pairs, trimmed', () => {
    expect(
      parseCostTags(
        ' forge-project=churn-model, application = BrightPathMatrix ',
      ),
    ).toEqual({
      ok: true,
      value: [
        { key: 'forge-project', value: 'churn-model' },
        { key: 'application', value: 'BrightPathMatrix' },
      ],
    });
  });

  it.each(['churn-model', '=x', 'key=', ' , '])(
    'says what is wrong with %p',
    raw => {
      const reading = parseCostTags(raw);
      expect(reading.ok).toBe(false);
      expect(!reading.ok && reading.error).toContain('forge.io/cost-tags');
    },
  );
});

describe('parseMonthlyBudget', () => {
  it('reads a positive amount', () => {
    expect(parseMonthlyBudget('4200')).toEqual({ ok: true, value: 4200 });
    expect(parseMonthlyBudget(' 99.5 ')).toEqual({ ok: true, value: 99.5 });
  });

  it.each(['$4200', '4,200', '-5', '0', 'lots'])('refuses %p', raw => {
    expect(parseMonthlyBudget(raw).ok).toBe(false);
  });
});
