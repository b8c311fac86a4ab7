// @ts-check

/**
 * Cost tables: daily rollups of FOCUS billing rows, the billing periods they replace, one record per ingested
 * file, budgets set in Forge, and the alerts already sent.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('cost_daily_rollups', table => {
    table.comment(
      'FOCUS rows summed per day and attribution; storage grows with entities x days, not with billing lines',
    );
    table
      .string('day', 10)
      .notNullable()
      .comment('UTC day of ChargePeriodStart, YYYY-MM-DD');
    table.string('billing_account_id', 255).notNullable();
    table
      .string('billing_period_start', 10)
      .notNullable()
      .comment(
        'Day the billing period starts; with the account, the unit an ingestion replaces',
      );
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment(
        'Catalog entity the cost is attributed to; empty when unattributed',
      );
    table.string('provider', 255).notNullable();
    table.string('service_category', 255).notNullable();
    table.string('service_name', 255).notNullable();
    table.string('region', 255).notNullable().comment('Empty when none');
    table
      .string('sub_account_id', 255)
      .notNullable()
      .comment('Empty when none');
    table.string('sub_account_name', 255).notNullable();
    table.string('charge_category', 32).notNullable();
    table.string('currency', 3).notNullable();
    table.string('consumed_unit', 255).notNullable().comment('Empty when none');
    table.double('billed_cost').notNullable();
    table.double('effective_cost').notNullable();
    table.double('list_cost').notNullable();
    table.double('consumed_quantity').notNullable();
    table
      .double('gpu_cost')
      .notNullable()
      .comment('Effective cost of GPU rows');
    table
      .double('gpu_hours')
      .notNullable()
      .comment('Consumed hours of GPU rows');
    table
      .double('gpu_idle_cost')
      .notNullable()
      .comment(
        'Effective cost of GPU rows with CommitmentDiscountStatus Unused',
      );
    table.integer('row_count').notNullable();
    table.string('ingestion_id', 36).notNullable();
    table.index(['entity_ref', 'day'], 'cost_daily_rollups_entity_day_idx');
    table.index(['day'], 'cost_daily_rollups_day_idx');
    table.index(
      ['billing_account_id', 'billing_period_start'],
      'cost_daily_rollups_period_idx',
    );
  });

  await knex.schema.createTable('cost_billing_periods', table => {
    table.comment(
      'One row per account and billing period ingested; locked while an ingestion replaces the period',
    );
    table.string('billing_account_id', 255).notNullable();
    table.string('billing_period_start', 10).notNullable();
    table.string('ingestion_id', 36).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.primary(['billing_account_id', 'billing_period_start']);
  });

  await knex.schema.createTable('cost_ingestions', table => {
    table.comment('One record per file ingested or refused');
    table.string('id', 36).primary();
    table
      .string('source', 16)
      .notNullable()
      .comment('upload, folder, url or demo');
    table.text('location').notNullable();
    table
      .string('content_hash', 64)
      .nullable()
      .comment('SHA-256 of the bytes read');
    table
      .string('source_etag', 255)
      .nullable()
      .comment(
        'ETag of a URL, or size and modification time of a file, when read',
      );
    table.string('attribution_fingerprint', 64).nullable();
    table
      .string('status', 16)
      .notNullable()
      .comment('running, succeeded, rejected, failed');
    table.string('focus_version', 8).nullable();
    table.bigInteger('row_count').notNullable().defaultTo(0);
    table.bigInteger('rejected_row_count').notNullable().defaultTo(0);
    table
      .text('rejects')
      .notNullable()
      .defaultTo('[]')
      .comment('JSON, first 100');
    table
      .text('totals')
      .notNullable()
      .defaultTo('{}')
      .comment('JSON sums per currency');
    table.text('periods').notNullable().defaultTo('[]').comment('JSON');
    table.integer('rollup_count').notNullable().defaultTo(0);
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.string('actor', 255).nullable();
    table.text('error').nullable();
    table.index(['location', 'status'], 'cost_ingestions_location_idx');
    table.index(['started_at'], 'cost_ingestions_started_idx');
  });

  await knex.schema.createTable('cost_budgets', table => {
    table.comment(
      'Monthly budgets set in Forge; they take precedence over forge.io/monthly-budget',
    );
    table.string('entity_ref', 255).primary();
    table.double('monthly_amount').notNullable();
    table.string('currency', 3).notNullable();
    table.string('updated_by', 255).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('cost_alerts_sent', table => {
    table.comment(
      'Alerts already sent, so each is sent once (per threshold and month, per anomaly day)',
    );
    table.string('alert_key', 512).primary();
    table.string('entity_ref', 255).notNullable();
    table.string('kind', 32).notNullable();
    table.timestamp('sent_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('cost_alerts_sent');
  await knex.schema.dropTable('cost_budgets');
  await knex.schema.dropTable('cost_ingestions');
  await knex.schema.dropTable('cost_billing_periods');
  await knex.schema.dropTable('cost_daily_rollups');
};
