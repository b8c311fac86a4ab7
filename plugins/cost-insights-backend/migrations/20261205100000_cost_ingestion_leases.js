// @ts-check

/**
 * Crash recovery for ingestions (issue 12). A running ingestion holds a lease it renews while it works; a process that
 * dies stops renewing, and once the lease has expired any replica marks the record failed and reads the source again.
 * A partial unique index makes "one running ingestion per source" a claim the database arbitrates, on SQLite and on
 * PostgreSQL with several replicas (uploads are excluded: each is its own request).
 *
 * Also: folder ingestions are recorded by their name in the inbox, not by an absolute server path.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('cost_ingestions', table => {
    table
      .string('lease_owner', 255)
      .nullable()
      .comment('The backend process running the ingestion (host, pid, random id)');
    table
      .timestamp('lease_expires_at', { useTz: true })
      .nullable()
      .comment(
        'Until when the running ingestion is known to be alive; renewed while it runs',
      );
  });
  // Records left running before leases existed belong to a process that is gone.
  await knex('cost_ingestions').where({ status: 'running' }).update({
    status: 'failed',
    error:
      'Interrupted: the backend stopped while ingesting; the source is read again on the next scan',
    finished_at: new Date(),
  });
  // Folder records named by absolute server path keep only the file's name.
  const folderRecords = await knex('cost_ingestions')
    .where({ source: 'folder' })
    .select('id', 'location');
  for (const { id, location } of folderRecords) {
    const name = String(location).split(/[\\/]/).pop();
    await knex('cost_ingestions')
      .where({ id })
      .update({ location: `inbox/${name}` });
  }
  await knex.raw(
    `CREATE UNIQUE INDEX cost_ingestions_running_source_idx ON cost_ingestions (location) WHERE status = 'running' AND source <> 'upload'`,
  );
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX cost_ingestions_running_source_idx');
  await knex.schema.alterTable('cost_ingestions', table => {
    table.dropColumn('lease_owner');
    table.dropColumn('lease_expires_at');
  });
};
