import {
  formatChange,
  formatCurrency,
  formatDay,
  formatPercent,
} from './format';

describe('format', () => {
  it('writes money as people read it', () => {
    expect(formatCurrency(2944.4312, 'USD')).toBe('$2,944');
    expect(formatCurrency(123.456, 'USD')).toBe('$123.46');
    expect(formatCurrency(0.0000008, 'USD')).toBe('$0.00');
    expect(formatCurrency(-1500, 'EUR')).toBe('-€1,500');
  });

  it('writes shares and changes', () => {
    expect(formatPercent(0.837)).toBe('84%');
    expect(formatChange({ ratio: 0.125, amount: 10 }, 'USD')).toBe('+13%');
    expect(formatChange({ ratio: -0.5, amount: -10 }, 'USD')).toBe('-50%');
    expect(formatChange({ amount: 42 }, 'USD')).toBe('+$42.00');
    expect(formatDay('2026-11-05')).toBe('5 Nov');
  });
});
