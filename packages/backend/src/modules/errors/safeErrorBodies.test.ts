import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotAllowedError } from '@backstage/errors';
import { notFoundWithBody, safeErrorBodies } from './safeErrorBodies';

/**
 * A backend's error path as Backstage builds it: a plugin router with Backstage's own error handler after it (as
 * the httpRouter service mounts it), and the root app with safeErrorBodies in front; NODE_ENV as `./forge start`
 * sets it, so Backstage puts stacks in the body.
 */
function createApp() {
  const logger = mockServices.logger.mock();
  const middleware = MiddlewareFactory.create({
    config: new ConfigReader({}),
    logger,
  });
  const plugin = Router();
  plugin.get('/crash', async () => {
    throw new Error(
      "ENOENT: no such file or directory, open '/work/main/.data/secret.key'",
    );
  });
  plugin.get('/input', async () => {
    throw new InputError('Invalid collectedAt: must be an RFC 3339 timestamp');
  });
  plugin.get('/denied', async () => {
    throw new NotAllowedError('You are not allowed to export evidence');
  });
  plugin.post('/json', express.json(), (_req, res) => {
    res.json({ parsed: true });
  });
  plugin.get('/ok', (_req, res) => {
    res.json({ fine: true });
  });
  plugin.use(middleware.error());
  const app = express()
    .use(safeErrorBodies({ logger }))
    .use('/api/x', plugin)
    .use(notFoundWithBody())
    .use(middleware.error());
  return { app, logger };
}

describe('safeErrorBodies', () => {
  const env = process.env.NODE_ENV;
  beforeAll(() => {
    process.env.NODE_ENV = 'development';
  });
  afterAll(() => {
    process.env.NODE_ENV = env;
  });

  it('answers an internal error with a request id and no stack or path, and logs what it left out', async () => {
    const { app, logger } = createApp();
    const res = await request(app).get('/api/x/crash');
    expect(res.status).toBe(500);
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.error).toEqual({
      name: 'Error',
      message: `Something went wrong in Forge. Quote request id ${id} to the platform team; the details are in the server log.`,
    });
    expect(res.body.request).toEqual({
      method: 'GET',
      url: '/crash',
      id,
    });
    expect(JSON.stringify(res.body)).not.toContain('/work/main');
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining(`Request ${id} GET /api/x/crash failed with 500`),
      expect.objectContaining({
        requestId: id,
        stack: expect.stringContaining('safeErrorBodies.test.ts'),
      }),
    );
  });

  it.each([
    [
      '/api/x/input',
      400,
      'InputError',
      'Invalid collectedAt: must be an RFC 3339 timestamp',
    ],
    [
      '/api/x/denied',
      403,
      'NotAllowedError',
      'You are not allowed to export evidence',
    ],
  ])(
    'keeps the message of %s for the caller, without its stack',
    async (path, status, name, message) => {
      const { app } = createApp();
      const res = await request(app).get(path);
      expect(res.status).toBe(status);
      expect(res.body.error).toEqual({ name, message });
      expect(res.body.request.id).toBe(res.headers['x-request-id']);
    },
  );

  it('leaves successful answers alone', async () => {
    const { app } = createApp();
    const res = await request(app).get('/api/x/ok');
    expect(res.body).toEqual({ fine: true });
    expect(res.headers['x-request-id']).toBeDefined();
  });

  it('also corrects errors raised by middleware, such as a body that is not JSON', async () => {
    const { app } = createApp();
    const res = await request(app)
      .post('/api/x/json')
      .set('content-type', 'application/json')
      .send('{"a":');
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('SyntaxError');
    expect(res.body.error.stack).toBeUndefined();
    expect(res.text).not.toContain('node_modules');
  });

  it('gives a path no plugin serves under /api/ a 404 with a message and the request id, not an empty answer', async () => {
    const { app } = createApp();
    const res = await request(app).get('/api/x/no-such-route?q=1');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({
      name: 'NotFoundError',
      message:
        'Nothing at GET /api/x/no-such-route; each Forge API describes its routes at /api/<plugin>/openapi.json',
    });
    expect(res.text).not.toContain('safeErrorBodies');
    expect(res.body.request.id).toBe(res.headers['x-request-id']);
  });
});
