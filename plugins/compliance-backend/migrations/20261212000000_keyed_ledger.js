// @ts-check

/**
 * One tamper-evident ledger for every compliance-relevant record. Results stay in compliance_history; exemption and
 * approval requests and decisions, gate evaluations, policy pack versions and the re-anchoring of older history go
 * to compliance_ledger. Both share one sequence, numbered without gaps by the writer under the chain head's lock,
 * and from now on each record carries an HMAC-SHA-256 (key outside the database) of the record before it and its
 * own content. Signed checkpoints of the head are kept in compliance_checkpoints (and, where the database writer
 * cannot reach them, in a file, the log and an external service).
 *
 * History written before this migration was chained with plain SHA-256. The backend re-anchors it the first time it
 * starts with the key (it needs the key, which migrations do not have): see `legacy_pending`.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const [{ max }] = await knex('compliance_history').max({ max: 'seq' });
  const [{ exemptions }] = await knex('compliance_exemptions').count({
    exemptions: '*',
  });
  const [{ gates }] = await knex('compliance_gate_evaluations').count({
    gates: '*',
  });
  const lastSeq = Number(max ?? 0);

  await knex.schema.alterTable('compliance_chain_head', table => {
    table
      .bigInteger('last_seq')
      .notNullable()
      .defaultTo(0)
      .comment('Sequence number of the newest record of the chain');
    table
      .boolean('legacy_pending')
      .notNullable()
      .defaultTo(false)
      .comment(
        'Records written before the keyed ledger exist and are not anchored yet',
      );
  });
  await knex('compliance_chain_head')
    .where({ id: 1 })
    .update({
      last_seq: lastSeq,
      legacy_pending:
        lastSeq > 0 || Number(exemptions) > 0 || Number(gates) > 0,
    });

  await knex.schema.createTable('compliance_ledger', table => {
    table.comment(
      'Append-only chained records other than results: exemptions and approvals, gate evaluations, policy packs, anchors',
    );
    table
      .bigInteger('seq')
      .primary()
      .comment('Position in the one sequence shared with compliance_history');
    table
      .string('kind')
      .notNullable()
      .comment('exemption, gate-evaluation, policy-pack or anchor');
    table
      .string('record_id')
      .notNullable()
      .comment('Id of the record it is about, e.g. the exemption id');
    table.string('event').notNullable().comment('e.g. requested, approved');
    table.string('entity_ref').nullable();
    table
      .text('body')
      .notNullable()
      .comment('Canonical JSON of the record as of this event');
    table.string('recorded_at').notNullable();
    table.string('prev_hash').notNullable();
    table
      .string('hash')
      .notNullable()
      .comment('HMAC-SHA-256 of prev_hash, seq, kind and body');
    table.index(['kind', 'record_id']);
  });

  await knex.schema.createTable('compliance_policy_packs', table => {
    table.comment(
      'The policy pack versions in use; each load of a new version is a ledger record',
    );
    table.string('name').primary();
    table.string('version').notNullable();
    table.string('file').notNullable();
    table
      .string('digest')
      .notNullable()
      .comment('sha256 of the canonical JSON definition');
    table.text('definition').notNullable().comment('Canonical JSON');
    table.string('loaded_at').notNullable();
  });

  await knex.schema.createTable('compliance_checkpoints', table => {
    table.comment(
      'Signed checkpoints of the chain head (copies; the authoritative ones are published outside the database)',
    );
    table.bigInteger('seq').primary();
    table.string('head').notNullable().comment('hash of the record at seq');
    table.string('at').notNullable();
    table.string('key_id').notNullable();
    table.string('signature').notNullable().comment('Ed25519, hex');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('compliance_checkpoints');
  await knex.schema.dropTable('compliance_policy_packs');
  await knex.schema.dropTable('compliance_ledger');
  await knex.schema.alterTable('compliance_chain_head', table => {
    table.dropColumn('legacy_pending');
    table.dropColumn('last_seq');
  });
};
