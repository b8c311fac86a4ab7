// @ts-check

/**
 * Two small tables that let a question about most of the organisation avoid reading every entity's days:
 * - cost_day_totals: cost per day and currency over every entity (unattributed included), per billing period so an
 *   ingestion replaces its periods' rows exactly as it does in cost_entity_daily;
 * - cost_known_refs: every entity ref that has ever had cost in a currency.
 * A group's daily cost is then the day's total minus the few entities outside the group (see
 * DatabaseCostStore.aggregate).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('cost_day_totals', table => {
    table.comment(
      'cost_entity_daily summed over entities per day, currency and billing period; rewritten with it',
    );
    table.string('day', 10).notNullable();
    table.string('currency', 3).notNullable();
    table.string('billing_account_id', 255).notNullable();
    table.string('billing_period_start', 10).notNullable();
    table.double('billed_cost').notNullable();
    table.double('effective_cost').notNullable();
    table.double('list_cost').notNullable();
    table.double('gpu_cost').notNullable();
    table.double('gpu_hours').notNullable();
    table.double('gpu_idle_cost').notNullable();
    table.primary([
      'currency',
      'day',
      'billing_account_id',
      'billing_period_start',
    ]);
    table.index(
      ['billing_account_id', 'billing_period_start'],
      'cost_day_totals_period_idx',
    );
  });
  await knex.schema.createTable('cost_known_refs', table => {
    table.comment('Entity refs that have had cost, per currency');
    table.string('currency', 3).notNullable();
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('Empty for unattributed spend');
    table.primary(['currency', 'entity_ref']);
  });
  await knex.raw(`
    INSERT INTO cost_day_totals (day, currency, billing_account_id, billing_period_start,
      billed_cost, effective_cost, list_cost, gpu_cost, gpu_hours, gpu_idle_cost)
    SELECT day, currency, billing_account_id, billing_period_start,
      SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(gpu_cost), SUM(gpu_hours), SUM(gpu_idle_cost)
    FROM cost_entity_daily
    GROUP BY day, currency, billing_account_id, billing_period_start
  `);
  await knex.raw(`
    INSERT INTO cost_known_refs (currency, entity_ref)
    SELECT DISTINCT currency, entity_ref FROM cost_entity_daily
  `);
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('cost_known_refs');
  await knex.schema.dropTable('cost_day_totals');
};
