import { AuditorService } from '@backstage/backend-plugin-api';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';

/**
 * Runs one action's work inside an audit event: who ran which step of which task with what outcome. Every forge:*
 * action goes through here so the audit trail reads the same for all of them.
 */
export async function auditedStep<T>(
  auditor: AuditorService,
  ctx: Pick<ActionContext<any, any>, 'task' | 'user' | 'templateInfo' | 'isDryRun'>,
  options: {
    eventId: string;
    severityLevel?: 'low' | 'medium' | 'high' | 'critical';
    meta: JsonObject;
    describe?: (result: T) => JsonObject;
  },
  work: () => Promise<T>,
): Promise<T> {
  const event = await auditor.createEvent({
    eventId: options.eventId,
    severityLevel: options.severityLevel ?? 'medium',
    meta: {
      taskId: ctx.task?.id ?? null,
      templateRef: ctx.templateInfo?.entityRef ?? null,
      actor: ctx.user?.ref ?? null,
      dryRun: ctx.isDryRun === true,
      ...options.meta,
    },
  });
  try {
    const result = await work();
    await event.success({ meta: options.describe?.(result) ?? {} });
    return result;
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
  }
}
