import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read cost: every signed-in member (Forge policy). Guards every read route of the cost backend.
 *
 * @public
 */
export const costReadPermission = createPermission({
  name: 'forge.cost.read',
  attributes: { action: 'read' },
});

/**
 * Set or remove a monthly budget in Forge (budgets kept as code in the catalog need no permission here).
 *
 * @public
 */
export const costBudgetManagePermission = createPermission({
  name: 'forge.cost.budget.manage',
  attributes: { action: 'update' },
});

/**
 * Upload a FOCUS billing export through the API.
 *
 * @public
 */
export const costUploadPermission = createPermission({
  name: 'forge.cost.upload',
  attributes: { action: 'create' },
});

/**
 * All cost permissions, for the permissions registry.
 *
 * @public
 */
export const costPermissions = [
  costReadPermission,
  costBudgetManagePermission,
  costUploadPermission,
];
