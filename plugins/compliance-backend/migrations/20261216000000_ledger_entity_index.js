// @ts-check

/**
 * Ledger records are read by entity (issue 11): the grace period of a new blueprint project and the hour in which the
 * scaffolder may leave its creation evidence start at the chained gate record of the run that created it, read on
 * every evaluation and fact push. An index on kind and entity ref keeps that read from scanning the whole ledger.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('compliance_ledger', table => {
    table.index(['kind', 'entity_ref'], 'compliance_ledger_kind_entity_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compliance_ledger', table => {
    table.dropIndex(
      ['kind', 'entity_ref'],
      'compliance_ledger_kind_entity_idx',
    );
  });
};
