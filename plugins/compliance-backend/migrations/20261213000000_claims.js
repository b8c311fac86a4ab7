// @ts-check

/**
 * One-time jobs claimed across replicas: the first replica whose row goes in runs the job, the others see the claim
 * (and when it finished). Used by the embedded default's demo history replay, which must happen once however many
 * replicas start at the same moment.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('compliance_claims', table => {
    table.comment('One-time jobs: the replica that claimed each, and when');
    table.string('name').primary().comment('The job, e.g. demo-history');
    table
      .string('claimant')
      .notNullable()
      .comment('Random id of the process that claimed the job');
    table.string('claimed_at').notNullable().comment('ISO time of the claim');
    table
      .string('finished_at')
      .nullable()
      .comment('ISO time the job finished; null while it runs (or if it died)');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('compliance_claims');
};
