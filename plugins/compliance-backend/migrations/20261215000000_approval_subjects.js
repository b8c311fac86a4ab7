// @ts-check

/**
 * Gate approvals record what they approve (issue 10): the blueprint request they were filed for (template, owner,
 * data classification, restricted sources, cost estimate and the threshold it crossed), as canonical JSON. The
 * column is part of the exemption's chained body whenever it is set, so the history seals it with the request.
 *
 * Approvals filed before this migration have no subject. They stay in the queue and in the history as they were
 * (their chained bodies do not change), but the scaffolder gate no longer accepts them: nothing says what they
 * approved, so a request must be approved again (docs/permissions.md).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('compliance_exemptions', t => {
    t.text('subject')
      .nullable()
      .comment(
        'Gate approvals: canonical JSON of the request approved (ApprovalSubject); null for exemptions and older approvals',
      );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compliance_exemptions', t => {
    t.dropColumn('subject');
  });
};
