import { ChangeStatistic } from '@internal/plugin-cost-insights-common';

/**
 * An amount of money as people read it: whole units from 1,000 up, cents below (en-US, the portal's locale).
 */
export function formatCurrency(amount: number, currency: string): string {
  const digits = Math.abs(amount) >= 1000 ? 0 : 2;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount);
}

/** A short amount for chart axes: $12k, $1.2M. */
export function formatCompactCurrency(
  amount: number,
  currency: string,
): string {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(amount);
}

/** A share as a whole percentage: 0.837 is "84%". */
export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/** A change as a signed percentage, or a signed amount when there was nothing before. */
export function formatChange(
  change: ChangeStatistic,
  currency: string,
): string {
  if (change.ratio !== undefined) {
    const pct = Math.round(change.ratio * 100);
    return `${pct > 0 ? '+' : ''}${pct}%`;
  }
  return `${change.amount >= 0 ? '+' : ''}${formatCurrency(
    change.amount,
    currency,
  )}`;
}

/** A day (YYYY-MM-DD) as "26 Nov". */
export function formatDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

/** A month (YYYY-MM) as "November 2026". */
export function formatMonth(month: string): string {
  return new Date(`${month}-01T00:00:00Z`).toLocaleDateString('en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** The kind:namespace/name of an entity ref as its name only, for labels. */
export function shortRef(entityRef: string): string {
  return entityRef.slice(entityRef.indexOf('/') + 1);
}
