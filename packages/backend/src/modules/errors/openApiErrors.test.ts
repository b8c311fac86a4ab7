import fs from 'node:fs';
import path from 'node:path';
import Router from 'express-promise-router';
import express from 'express';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotAllowedError } from '@backstage/errors';
import { jsonBody } from '@internal/plugin-forge-node';
import { safeErrorBodies } from './safeErrorBodies';

const ROOT = path.resolve(__dirname, '../../../../..');
const SPECS = [
  'plugins/compliance-backend/openapi.yaml',
  'plugins/cost-insights-backend/openapi.yaml',
  'plugins/outcomes-backend/openapi.yaml',
];
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

type Spec = {
  paths: Record<string, Record<string, any>>;
  components: { responses: Record<string, any>; schemas: Record<string, any> };
};

const load = (file: string): Spec =>
  parseYaml(fs.readFileSync(path.join(ROOT, file), 'utf8'));

/** The schema an error response of an operation documents, following `$ref`s. */
function errorSchemaOf(spec: Spec, response: any): string | undefined {
  let current = response;
  while (current?.$ref) {
    current = spec.components.responses[current.$ref.split('/').pop()];
  }
  return current?.content?.['application/json']?.schema?.$ref;
}

describe('the OpenAPI documents of the Forge plugins', () => {
  it.each(SPECS)(
    '%s documents the error body of 400, 401, 403 and (with a body) 413 on every operation',
    file => {
      const spec = load(file);
      const missing: string[] = [];
      for (const [route, item] of Object.entries(spec.paths)) {
        for (const method of METHODS.filter(m => item[m])) {
          const op = item[method];
          const codes = ['400'];
          if (route !== '/openapi.json') codes.push('401', '403');
          if (op.requestBody || method === 'post' || method === 'put') {
            codes.push('413');
          }
          for (const code of codes) {
            if (
              errorSchemaOf(spec, op.responses?.[code]) !==
              '#/components/schemas/ForgeError'
            ) {
              missing.push(`${method.toUpperCase()} ${route} ${code}`);
            }
          }
        }
      }
      expect(missing).toEqual([]);
      const error = spec.components.schemas.ForgeError;
      expect(error.required).toEqual(['error', 'request', 'response']);
      expect(error.properties.request.required).toEqual(['id']);
      expect(error.properties.error.additionalProperties).toBe(false);
      expect(Object.keys(error.properties.error.properties)).not.toContain(
        'stack',
      );
    },
  );

  it('describes what the guard and the error handler really answer: 400, 403, 413 with a request id and no stack', async () => {
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      const logger = mockServices.logger.mock();
      const middleware = MiddlewareFactory.create({
        config: new ConfigReader({}),
        logger,
      });
      const plugin = Router();
      plugin.post('/body', jsonBody({ limit: '1kb' }), (_req, res) => {
        res.json({ ok: true });
      });
      plugin.get('/denied', async () => {
        throw new NotAllowedError(
          'You are not allowed to export compliance evidence (forge.compliance.evidence.export)',
        );
      });
      plugin.use(middleware.error());
      const app = express()
        .use(safeErrorBodies({ logger }))
        .use('/api/x', plugin);
      const schema = load(SPECS[0]).components.schemas.ForgeError;
      const documented = Object.keys(schema.properties.error.properties);
      // 500 levels deep, under the size limit; sent as text (the test client would recurse on the object).
      const deep = `${'['.repeat(500)}1${']'.repeat(500)}`;
      const answers = [
        await request(app)
          .post('/api/x/body')
          .set('content-type', 'application/json')
          .send(deep),
        await request(app)
          .post('/api/x/body')
          .send({ big: 'x'.repeat(4096) }),
        await request(app).get('/api/x/denied'),
      ];
      expect(answers.map(a => a.status)).toEqual([400, 413, 403]);
      for (const res of answers) {
        expect(Object.keys(res.body.error)).toEqual(
          expect.arrayContaining(schema.properties.error.required),
        );
        expect(
          Object.keys(res.body.error).filter(k => !documented.includes(k)),
        ).toEqual([]);
        expect(res.body.request.id).toBe(res.headers['x-request-id']);
        expect(res.body.request.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(res.body.response.statusCode).toBe(res.status);
        expect(JSON.stringify(res.body)).not.toMatch(/stack|\/work\/|at /);
      }
      expect(answers[1].body.error).toEqual({
        name: 'PayloadTooLargeError',
        message:
          'The request body is larger than the 1kb this endpoint accepts; send less',
      });
    } finally {
      process.env.NODE_ENV = env;
    }
  });
});
