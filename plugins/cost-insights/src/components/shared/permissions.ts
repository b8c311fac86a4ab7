import { costBudgetManagePermission } from '@internal/plugin-cost-insights-common';
import { usePermission } from '@backstage/plugin-permission-react';

/** Whether the signed-in person may set budgets (the backend checks again). */
export function useCanManageBudgets(): boolean {
  return usePermission({ permission: costBudgetManagePermission }).allowed;
}
