import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read the outcomes of the teams one belongs to (and of their sub-teams): every signed-in person.
 *
 * @public
 */
export const outcomesReadPermission = createPermission({
  name: 'forge.outcomes.read',
  attributes: { action: 'read' },
});

/**
 * Read the organisation-wide outcomes and those of any team: the platform lead and the roles that answer for the
 * whole organisation (Forge policy: admin, compliance, security).
 *
 * @public
 */
export const outcomesOrgReadPermission = createPermission({
  name: 'forge.outcomes.org.read',
  attributes: { action: 'read' },
});

/**
 * Answer the satisfaction question about a project one created.
 *
 * @public
 */
export const outcomesSurveyRespondPermission = createPermission({
  name: 'forge.outcomes.survey.respond',
  attributes: { action: 'create' },
});

/**
 * All outcomes permissions, for the permissions registry.
 *
 * @public
 */
export const outcomesPermissions = [
  outcomesReadPermission,
  outcomesOrgReadPermission,
  outcomesSurveyRespondPermission,
];
