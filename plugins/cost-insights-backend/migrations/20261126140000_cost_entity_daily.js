// @ts-check

/**
 * Daily cost per entity: the rollups summed over service, region, sub-account and the other dimensions, kept
 * in step with them by every ingestion. The views ask mostly "how much did these entities cost per day", and a
 * table with one row per entity, day and currency answers that without reading every service line; its primary
 * key clusters an entity's days together.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('cost_entity_daily', table => {
    table.comment(
      'cost_daily_rollups summed per entity, day, currency and billing period; rewritten with them',
    );
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('Empty when unattributed');
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
      'entity_ref',
      'day',
      'currency',
      'billing_account_id',
      'billing_period_start',
    ]);
    table.index(
      ['billing_account_id', 'billing_period_start'],
      'cost_entity_daily_period_idx',
    );
    // For organisation-wide questions and large groups: a range of days, every entity.
    table.index(['day', 'currency'], 'cost_entity_daily_day_idx');
  });
  // Rollups stored before this table existed.
  await knex.raw(`
    INSERT INTO cost_entity_daily (entity_ref, day, currency, billing_account_id, billing_period_start,
      billed_cost, effective_cost, list_cost, gpu_cost, gpu_hours, gpu_idle_cost)
    SELECT entity_ref, day, currency, billing_account_id, billing_period_start,
      SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(gpu_cost), SUM(gpu_hours), SUM(gpu_idle_cost)
    FROM cost_daily_rollups
    GROUP BY entity_ref, day, currency, billing_account_id, billing_period_start
  `);
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('cost_entity_daily');
};
