// @ts-check

/**
 * The outcomes store: what Forge measures about itself that no other plugin keeps. Blueprint runs as the scaffolder
 * reported them (a copy, so figures over months do not depend on the scaffolder keeping old tasks), answers to the
 * satisfaction question, daily budget snapshots (last month's forecast is compared with what was spent), and how
 * long each evidence export took.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('outcomes_runs', table => {
    table.comment(
      'One run of a blueprint (a scaffolder task) and when it reached each milestone',
    );
    table.string('task_id', 64).primary().comment('The scaffolder task id');
    table
      .string('blueprint', 255)
      .notNullable()
      .comment('Template entity ref of the blueprint');
    table
      .string('owner_ref', 255)
      .nullable()
      .comment('The owning team the form named (group ref)');
    table
      .string('created_by', 255)
      .nullable()
      .comment('Who ran the blueprint (user ref)');
    table
      .string('entity_ref', 255)
      .nullable()
      .comment('The project the run registers (component ref)');
    table
      .string('status', 16)
      .notNullable()
      .comment('open, completed, failed or cancelled, as the scaffolder says');
    table
      .timestamp('submitted_at', { useTz: true })
      .notNullable()
      .comment('When the form was submitted');
    table
      .timestamp('completed_at', { useTz: true })
      .nullable()
      .comment('When the project was registered (run completed)');
    table
      .timestamp('environment_requested_at', { useTz: true })
      .nullable()
      .comment(
        'When the environment request was published (its step completed)',
      );
    table.index(['submitted_at'], 'outcomes_runs_submitted_idx');
    table.index(['created_by'], 'outcomes_runs_created_by_idx');
  });
  await knex.schema.createTable('outcomes_survey_responses', table => {
    table.comment(
      'Answers to How likely are you to recommend Forge to a colleague (0-10), one per person and project',
    );
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('The project the answer is about');
    table
      .string('respondent', 255)
      .notNullable()
      .comment('Who answered (user ref)');
    table.integer('score').notNullable().comment('0 to 10');
    table.text('comment').nullable().comment('What they added, if anything');
    table.timestamp('answered_at', { useTz: true }).notNullable();
    table.primary(['entity_ref', 'respondent']);
    table.index(['answered_at'], 'outcomes_survey_answered_idx');
  });
  await knex.schema.createTable('outcomes_budget_snapshots', table => {
    table.comment(
      'The month to date and month-end forecast of a budget as the cost backend reported them on a day',
    );
    table
      .string('day', 10)
      .notNullable()
      .comment('YYYY-MM-DD the snapshot was taken');
    table
      .string('scope_ref', 255)
      .notNullable()
      .comment('The entity with the budget (group or component ref)');
    table
      .string('month', 7)
      .notNullable()
      .comment('The budget month (YYYY-MM)');
    table.double('monthly_amount').notNullable();
    table.double('month_to_date').notNullable();
    table.double('forecast_month_end').notNullable();
    table.string('currency', 8).notNullable();
    table.primary(['day', 'scope_ref']);
  });
  await knex.schema.createTable('outcomes_figure_snapshots', table => {
    table.comment(
      'The value of a figure read live (violations, exemptions, adoption, coverage) for a scope on a day, so the page can show it over time',
    );
    table.string('day', 10).notNullable().comment('YYYY-MM-DD');
    table.string('scope', 255).notNullable().comment('org, or a group ref');
    table.string('figure_id', 64).notNullable();
    table.double('value').notNullable();
    table.primary(['day', 'scope', 'figure_id']);
  });
  await knex.schema.createTable('outcomes_evidence_timings', table => {
    table.comment(
      'How long an evidence export for a framework took, measured by exporting it',
    );
    table.increments('id');
    table.string('framework', 32).notNullable();
    table.timestamp('measured_at', { useTz: true }).notNullable();
    table.integer('duration_ms').notNullable();
    table
      .integer('bytes')
      .notNullable()
      .comment('Size of the export, to tell a slow export from a big one');
    table.index(
      ['framework', 'measured_at'],
      'outcomes_evidence_framework_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('outcomes_evidence_timings');
  await knex.schema.dropTable('outcomes_figure_snapshots');
  await knex.schema.dropTable('outcomes_budget_snapshots');
  await knex.schema.dropTable('outcomes_survey_responses');
  await knex.schema.dropTable('outcomes_runs');
};
