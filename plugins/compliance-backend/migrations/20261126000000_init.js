// @ts-check

/**
 * Compliance storage: current state per entity and check, history as changes only (hash-chained), facts pushed
 * by tools, exemptions and approvals, and the evidence of each scaffolder gate evaluation.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('compliance_entities', table => {
    table.comment('One row per evaluated entity: its latest summary');
    table.string('entity_ref').primary().comment('kind:namespace/name');
    table.string('owner_ref').nullable().comment('Owning group or user');
    table
      .string('etag')
      .nullable()
      .comment('Catalog etag at the last evaluation, to detect changes');
    table.integer('score').notNullable();
    table.string('level').notNullable();
    table.text('controls').notNullable().comment('JSON: control id -> status');
    table
      .string('evaluated_at')
      .notNullable()
      .comment('ISO time of the last evaluation');
    table
      .string('digest')
      .notNullable()
      .comment('sha256 of all results: unchanged digest, nothing to write');
    table.index('owner_ref');
  });

  await knex.schema.createTable('compliance_current', table => {
    table.comment(
      'Current result per entity and check; rewritten only when the result changes',
    );
    table.string('entity_ref').notNullable();
    table.string('check_id').notNullable();
    table.string('pack_name').notNullable();
    table.string('pack_version').notNullable();
    table
      .string('rule_hash')
      .notNullable()
      .comment('sha256 of the check definition');
    table
      .string('facts_hash')
      .notNullable()
      .comment('sha256 of the facts the evaluation saw');
    table.string('status').notNullable();
    table.text('message').nullable();
    table
      .string('since')
      .notNullable()
      .comment('ISO time the result last changed');
    table.primary(['entity_ref', 'check_id']);
  });

  await knex.schema.createTable('compliance_history', table => {
    table.comment(
      'Append-only changes of results, each chained by hash to the one before',
    );
    table.bigIncrements('seq').primary();
    table.string('entity_ref').notNullable();
    table.string('check_id').notNullable();
    table.string('status').notNullable();
    table.string('previous_status').nullable();
    table.text('message').nullable();
    table.string('pack_name').notNullable();
    table.string('pack_version').notNullable();
    table.string('rule_hash').notNullable();
    table.string('facts_hash').notNullable();
    table.string('recorded_at').notNullable();
    table.string('prev_hash').notNullable();
    table.string('hash').notNullable();
    table.index(['entity_ref', 'check_id', 'recorded_at']);
    table.index('recorded_at');
  });

  await knex.schema.createTable('compliance_summary_history', table => {
    table.comment(
      'Changes of entity scores and levels, for trends and as-of answers',
    );
    table.bigIncrements('id').primary();
    table.string('entity_ref').notNullable();
    table.string('owner_ref').nullable();
    table.integer('score').notNullable();
    table.string('level').notNullable();
    table.integer('failing').notNullable();
    table.string('recorded_at').notNullable();
    table.index(['entity_ref', 'recorded_at']);
    table.index('recorded_at');
  });

  await knex.schema.createTable('compliance_chain_head', table => {
    table.comment(
      'Single row holding the hash of the newest history record, locked while appending',
    );
    table.integer('id').primary();
    table.string('last_hash').notNullable();
  });
  await knex('compliance_chain_head').insert({ id: 1, last_hash: 'genesis' });

  await knex.schema.createTable('compliance_facts', table => {
    table.comment(
      'Latest fact of each name per entity, pushed by tools such as CI and scanners',
    );
    table.string('entity_ref').notNullable();
    table.string('name').notNullable();
    table.string('collected_at').notNullable();
    table.string('source').nullable();
    table.text('data').notNullable().comment('JSON');
    table.string('hash').notNullable();
    table.string('received_at').notNullable();
    table
      .string('received_from')
      .notNullable()
      .comment('Principal that pushed it');
    table.primary(['entity_ref', 'name']);
  });

  await knex.schema.createTable('compliance_exemptions', table => {
    table.comment('Exemptions and gate approvals, with their decisions');
    table.string('id').primary();
    table.string('kind').notNullable();
    table.string('entity_ref').notNullable();
    table.string('check_id').notNullable();
    table.text('justification').notNullable();
    table.text('compensating_control').notNullable();
    table.string('requested_by').notNullable();
    table.string('requested_at').notNullable();
    table.string('expires_at').notNullable();
    table.string('status').notNullable();
    table.string('decided_by').nullable();
    table.string('decided_at').nullable();
    table.text('decision_note').nullable();
    table.string('expiry_notified_at').nullable();
    table.index(['entity_ref', 'check_id']);
    table.index('status');
  });

  await knex.schema.createTable('compliance_gate_evaluations', table => {
    table.comment('Evidence of every scaffolder gate evaluation');
    table.string('id').primary();
    table.string('entity_ref').notNullable();
    table.string('decision').notNullable();
    table.text('evaluation').notNullable().comment('JSON EntityEvaluation');
    table.text('reasons').notNullable().comment('JSON string[]');
    table.string('task_id').nullable();
    table.string('template_ref').nullable();
    table.string('recorded_by').notNullable();
    table.string('recorded_at').notNullable();
    table.index('entity_ref');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  for (const table of [
    'compliance_gate_evaluations',
    'compliance_exemptions',
    'compliance_facts',
    'compliance_chain_head',
    'compliance_summary_history',
    'compliance_history',
    'compliance_current',
    'compliance_entities',
  ]) {
    await knex.schema.dropTable(table);
  }
};
