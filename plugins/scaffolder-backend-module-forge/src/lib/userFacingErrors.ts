import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';

/** Errors that say what the person did or must do; everything else is a fault of the platform. */
const OUTCOMES = new Set(['InputError', 'NotAllowedError', 'NotFoundError', 'ConflictError']);

/**
 * The scaffolder writes a failed step's `error.stack` into the task log people read (and opens the log to show
 * it). A gate block, an approval request or a refused estimate is an outcome with a next step, not a crash: its
 * stack is replaced by its message. Anything unexpected is logged whole on the server and shown as one line that
 * says where the details are. Wraps every forge:* action, so no action has to remember it.
 */
export function withUserFacingErrors<A extends TemplateAction<any, any, any>>(action: A, logger: LoggerService): A {
  return {
    ...action,
    async handler(ctx: Parameters<A['handler']>[0]) {
      try {
        return await action.handler(ctx);
      } catch (error) {
        throw userFacing(error, action.id, ctx.task?.id, logger);
      }
    },
  };
}

export function userFacing(error: unknown, actionId: string, taskId: string | undefined, logger: LoggerService): Error {
  if (isError(error) && OUTCOMES.has(error.name)) {
    const outcome = error as Error;
    outcome.stack = outcome.message;
    return outcome;
  }
  const cause = isError(error) ? (error as Error) : new Error(String(error));
  logger.error(`${actionId} failed in task ${taskId ?? 'unknown'}`, cause);
  const shown = new Error(
    `${actionId} failed unexpectedly (${cause.message}). Nothing after this step was done; try again, and if it ` +
      `fails again, give the platform team the task id ${taskId ?? '(unknown)'}: the details are in the backend log.`,
  );
  shown.stack = shown.message;
  return shown;
}
