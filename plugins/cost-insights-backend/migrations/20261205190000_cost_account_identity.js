// @ts-check

/**
 * Billing accounts keyed as their provider identifies them (issue 12). Since cd35663 the reader keys an account by
 * billingAccountIdentity (src/ingestion/focusValues.ts); rows stored before kept their spelling, so the next
 * delivery of a month stored under `ABCD-...` (an upper-case Azure GUID) would be keyed `abcd-...` and counted next to
 * it instead of replacing it. This rewrites the stored keys of the rollups, the per-entity daily table, the day totals
 * and the billing periods to the identity.
 *
 * Two stored spellings of one account's period are two deliveries of that period, which was counted twice: as
 * re-ingestion does, the later delivery (the billing period row updated last) keeps the period and the earlier one's
 * rows are removed. Periods held under one spelling only are renamed, nothing else changes.
 *
 * The rule is written out here rather than imported: a migration must do what it did when it was written, whatever
 * the reader's rule becomes later (and migrations run as plain JavaScript, without the TypeScript sources).
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AZURE = /^(microsoft|azure)\b/i;
const GOOGLE_BILLING_ACCOUNT = /^[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}$/i;

/** billingAccountIdentity as of this migration. */
function identity(/** @type {string} */ provider, /** @type {string} */ id) {
  const trimmed = id.trim();
  if (AZURE.test(provider) || GUID.test(trimmed)) return trimmed.toLowerCase();
  if (GOOGLE_BILLING_ACCOUNT.test(trimmed)) return trimmed.toUpperCase();
  return trimmed;
}

/** The tables keyed by account and billing period, the periods' own table last. */
const KEYED_TABLES = [
  'cost_daily_rollups',
  'cost_entity_daily',
  'cost_day_totals',
  'cost_billing_periods',
];

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  /**
   * Each stored account and period: the identity it has and when the period was last delivered.
   * @type {Map<string, { account: string, period: string, identity: string, updatedAt: number }>}
   */
  const stored = new Map();
  const note = (
    /** @type {string} */ account,
    /** @type {string} */ period,
    /** @type {string} */ provider,
  ) => {
    const key = `${account}\u0001${period}`;
    const id = identity(provider, account);
    const known = stored.get(key);
    if (!known) {
      stored.set(key, { account, period, identity: id, updatedAt: -Infinity });
    } else if (id !== account) {
      // Rows of a provider whose ids ignore case (Azure) decide for the whole period.
      known.identity = id;
    }
    return stored.get(key);
  };
  const keyed = await knex('cost_daily_rollups').distinct(
    'billing_account_id',
    'billing_period_start',
    'provider',
  );
  for (const row of keyed) {
    note(row.billing_account_id, row.billing_period_start, row.provider);
  }
  const periods = await knex('cost_billing_periods').select(
    'billing_account_id',
    'billing_period_start',
    'updated_at',
  );
  for (const row of periods) {
    const known = note(row.billing_account_id, row.billing_period_start, '');
    if (known) known.updatedAt = new Date(row.updated_at).getTime();
  }

  /**
   * The stored spellings of each account's period, by identity.
   * @type {Map<string, Array<{ account: string, period: string, identity: string, updatedAt: number }>>}
   */
  const groups = new Map();
  for (const s of stored.values()) {
    const key = `${s.identity}\u0001${s.period}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const spellings of groups.values()) {
    // The latest delivery first; equal times in a fixed order, so every replica would choose alike.
    spellings.sort(
      (a, b) => b.updatedAt - a.updatedAt || (a.account < b.account ? -1 : 1),
    );
    const [kept, ...replaced] = spellings;
    for (const r of replaced) {
      for (const table of KEYED_TABLES) {
        await knex(table)
          .where({
            billing_account_id: r.account,
            billing_period_start: r.period,
          })
          .delete();
      }
    }
    if (kept.account !== kept.identity) {
      for (const table of KEYED_TABLES) {
        await knex(table)
          .where({
            billing_account_id: kept.account,
            billing_period_start: kept.period,
          })
          .update({ billing_account_id: kept.identity });
      }
    }
  }
};

/**
 * Nothing to undo: the earlier spellings are not kept, and the identities are valid keys for the code before too
 * (it keyed accounts as written).
 *
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {};
