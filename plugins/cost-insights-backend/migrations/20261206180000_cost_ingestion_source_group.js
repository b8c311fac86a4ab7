// @ts-check

/**
 * The export an ingestion's snapshot belongs to (issue 12). Snapshots of one export and billing period are written to
 * a new folder each (Azure CreateNewReport, AWS create-new executions), so each has its own location; they are still
 * one source: the latest snapshot is the whole truth of the period, and the accounts an earlier snapshot held that the
 * latest no longer holds are withdrawn, as for a file rewritten in place. Null: the source is its location.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('cost_ingestions', table => {
    table
      .string('source_group', 1024)
      .nullable()
      .comment(
        'The export and billing period of a snapshot: ingestions of one group are one source (null: the location)',
      );
    table.index(['source_group'], 'cost_ingestions_source_group_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('cost_ingestions', table => {
    table.dropIndex(['source_group'], 'cost_ingestions_source_group_idx');
    table.dropColumn('source_group');
  });
};
