// @ts-check

/**
 * Billing accounts keyed by the shape of their id, whatever the row's provider (issue 12). Until then an Azure
 * Resource Manager id was lower-cased only on rows whose provider was Microsoft or Azure; in FOCUS 1.3 an Azure
 * Marketplace row names its vendor (ServiceProviderName Datadog), so one account was stored as
 * `/providers/microsoft.billing/...` for its Microsoft rows and `/providers/Microsoft.Billing/...` for its Datadog
 * rows, and a 1.2 restatement of the month (every row Microsoft) replaced the first and counted the second twice.
 * This rewrites the stored keys to billingAccountIdentity as of now (src/ingestion/focusValues.ts).
 *
 * For each account's period, of its stored spellings:
 * - those of the latest delivery (the billing period row updated last) are one delivery: renamed and merged;
 * - those of an earlier delivery were replaced by it in all but spelling: removed, as re-ingesting would have done.
 * The per-entity daily and day total rows of a merged period are summed again from its rollups.
 *
 * The rule is written out here rather than imported: a migration must do what it did when it was written.
 */

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const ARM_ID = /^\/(providers|subscriptions)\//i;
const GOOGLE_BILLING_ACCOUNT = /^[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}$/i;

/** billingAccountIdentity as of this migration. */
function identity(/** @type {string} */ id) {
  const trimmed = id.trim();
  if (ARM_ID.test(trimmed) || GUID.test(trimmed)) return trimmed.toLowerCase();
  if (GOOGLE_BILLING_ACCOUNT.test(trimmed)) return trimmed.toUpperCase();
  return trimmed;
}

const KEYED_TABLES = [
  'cost_daily_rollups',
  'cost_entity_daily',
  'cost_day_totals',
  'cost_billing_periods',
];

const MEASURES =
  'SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(gpu_cost), SUM(gpu_hours), SUM(gpu_idle_cost)';
const MEASURE_COLUMNS =
  'billed_cost, effective_cost, list_cost, gpu_cost, gpu_hours, gpu_idle_cost';

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const periods = await knex('cost_billing_periods').select(
    'billing_account_id',
    'billing_period_start',
    'ingestion_id',
    'updated_at',
  );
  /** @type {Map<string, Array<{ account: string, period: string, ingestion: string, updatedAt: number }>>} */
  const groups = new Map();
  for (const row of periods) {
    const key = `${identity(row.billing_account_id)}\u0001${
      row.billing_period_start
    }`;
    groups.set(key, [
      ...(groups.get(key) ?? []),
      {
        account: row.billing_account_id,
        period: row.billing_period_start,
        ingestion: row.ingestion_id,
        updatedAt: new Date(row.updated_at).getTime(),
      },
    ]);
  }
  for (const spellings of groups.values()) {
    const id = identity(spellings[0].account);
    const period = spellings[0].period;
    if (spellings.length === 1 && spellings[0].account === id) continue;
    // The latest delivery first; equal times in a fixed order, so every replica would choose alike.
    spellings.sort(
      (a, b) => b.updatedAt - a.updatedAt || (a.account < b.account ? -1 : 1),
    );
    const latest = spellings[0];
    for (const s of spellings) {
      if (s.ingestion === latest.ingestion) continue;
      for (const table of KEYED_TABLES) {
        await knex(table)
          .where({ billing_account_id: s.account, billing_period_start: period })
          .delete();
      }
    }
    const merged = spellings
      .filter(s => s.ingestion === latest.ingestion)
      .map(s => s.account);
    for (const table of [
      'cost_entity_daily',
      'cost_day_totals',
      'cost_billing_periods',
    ]) {
      await knex(table)
        .whereIn('billing_account_id', merged)
        .andWhere({ billing_period_start: period })
        .delete();
    }
    await knex('cost_daily_rollups')
      .whereIn('billing_account_id', merged)
      .andWhere({ billing_period_start: period })
      .update({ billing_account_id: id });
    await knex.raw(
      `INSERT INTO cost_entity_daily (entity_ref, day, currency, billing_account_id, billing_period_start, ${MEASURE_COLUMNS})
       SELECT entity_ref, day, currency, billing_account_id, billing_period_start, ${MEASURES}
       FROM cost_daily_rollups WHERE billing_account_id = ? AND billing_period_start = ?
       GROUP BY entity_ref, day, currency, billing_account_id, billing_period_start`,
      [id, period],
    );
    await knex.raw(
      `INSERT INTO cost_day_totals (day, currency, billing_account_id, billing_period_start, ${MEASURE_COLUMNS})
       SELECT day, currency, billing_account_id, billing_period_start, ${MEASURES}
       FROM cost_entity_daily WHERE billing_account_id = ? AND billing_period_start = ?
       GROUP BY day, currency, billing_account_id, billing_period_start`,
      [id, period],
    );
    await knex('cost_billing_periods').insert({
      billing_account_id: id,
      billing_period_start: period,
      ingestion_id: latest.ingestion,
      updated_at: new Date(latest.updatedAt),
    });
  }
};

/**
 * Nothing to undo: the earlier spellings are not kept, and the identities are valid keys for the code before too.
 *
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {};
