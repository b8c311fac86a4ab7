// @ts-check

/**
 * History key rotation: every chained record names the key that sealed it (the id of its key pair, the first 16 hex
 * digits of the SHA-256 of the signing public key, as checkpoints and exports already do), and the chain head names
 * the key in force. A rotation is itself a record of the chain (kind `key-rotation`), sealed by the retiring and the
 * new key together; see docs/operations.md.
 *
 * The key ids of records written before this migration are filled in by the backend the first time it starts with
 * it (it needs the keys to tell which one sealed them; migrations have none): see `key_ids_pending`.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  for (const table of ['compliance_history', 'compliance_ledger']) {
    await knex.schema.alterTable(table, t => {
      t.string('key_id')
        .nullable()
        .comment(
          'Id of the history key that sealed the record (its HMAC); a rotation record names the new key',
        );
    });
  }
  const head = await knex('compliance_chain_head').where({ id: 1 }).first();
  await knex.schema.alterTable('compliance_chain_head', t => {
    t.string('key_id')
      .nullable()
      .comment(
        'Id of the history key in force: the one that seals the next record',
      );
    t.boolean('key_ids_pending')
      .notNullable()
      .defaultTo(false)
      .comment('Records written before key ids exist and have none yet');
  });
  if (head) {
    await knex('compliance_chain_head')
      .where({ id: 1 })
      .update({ key_ids_pending: Number(head.last_seq ?? 0) > 0 });
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compliance_chain_head', t => {
    t.dropColumn('key_ids_pending');
    t.dropColumn('key_id');
  });
  for (const table of ['compliance_ledger', 'compliance_history']) {
    await knex.schema.alterTable(table, t => {
      t.dropColumn('key_id');
    });
  }
};
