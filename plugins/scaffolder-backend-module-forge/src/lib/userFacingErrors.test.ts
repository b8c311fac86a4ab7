import { mockServices } from '@backstage/backend-test-utils';
import { InputError, NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { actionContext } from '../__testUtils__';
import { withUserFacingErrors } from './userFacingErrors';

const failing = (error: Error) =>
  createTemplateAction({
    id: 'forge:test:fail',
    schema: { input: {} },
    async handler() {
      throw error;
    },
  });

describe('withUserFacingErrors', () => {
  it('shows a gate block or a refused input as its message, without a stack trace', async () => {
    const logger = mockServices.logger.mock();
    for (const error of [
      new NotAllowedError('Blocked by the compliance gate: 1 check failed.'),
      new InputError('forge:cost:estimate: group:default/grc-office has no cost center'),
    ]) {
      const shown = await withUserFacingErrors(failing(error), logger)
        .handler(actionContext({ input: {} }))
        .catch(e => e);
      expect(shown.name).toBe(error.name);
      expect(shown.stack).toBe(error.message);
      expect(shown.stack).not.toContain('    at ');
    }
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('logs an unexpected fault whole on the server and shows one line that says where the details are', async () => {
    const logger = mockServices.logger.mock();
    const fault = new TypeError("Cannot read properties of undefined (reading 'x')");
    const ctx = { ...actionContext({ input: {} }), task: { id: 'task-1' } } as any;
    const shown = await withUserFacingErrors(failing(fault), logger)
      .handler(ctx)
      .catch(e => e);
    expect(shown.message).toBe(
      "forge:test:fail failed unexpectedly (Cannot read properties of undefined (reading 'x')). Nothing after this " +
        'step was done; try again, and if it fails again, give the platform team the task id task-1: the details are in ' +
        'the backend log.',
    );
    expect(shown.stack).not.toContain('    at ');
    expect(logger.error).toHaveBeenCalledWith('forge:test:fail failed in task task-1', fault);
  });
});
