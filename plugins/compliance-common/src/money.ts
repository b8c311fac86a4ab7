/**
 * Money as Forge writes it everywhere a person reads a figure (the blueprint review page, the gate's task log, the
 * evidence export, the approval queue): `1,234.50 EUR`, the same in every locale, so the approver reads the figure
 * the requester saw.
 *
 * @public
 */
export function formatMoney(amount: number, currency: string): string {
  return `${amount.toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  })} ${currency}`;
}
