import express from 'express';
import request from 'supertest';
import { mockErrorHandler } from '@backstage/backend-test-utils';
import { exceedsJsonDepth, jsonBody } from './jsonBody';

function app(options?: Parameters<typeof jsonBody>[0]) {
  return express()
    .post('/', jsonBody(options), (req, res) => {
      // What a handler does with a body: validate and serialise it (both recurse).
      res.json({ size: JSON.stringify(req.body).length });
    })
    .use(mockErrorHandler());
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('jsonBody', () => {
  it.each([20_000, 100_000])(
    'answers 400 to JSON nested %i levels deep instead of crashing',
    async depth => {
      const res = await request(app())
        .post('/')
        .set('content-type', 'application/json')
        .send(`{"data":${nested(depth)}}`);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toBe(
        'The request body nests JSON deeper than 32 levels; flatten it',
      );
    },
  );

  it('accepts bodies up to the depth limit', async () => {
    const ok = await request(app({ maxDepth: 5 }))
      .post('/')
      .set('content-type', 'application/json')
      .send(nested(5));
    expect(ok.status).toBe(200);
    const deep = await request(app({ maxDepth: 5 }))
      .post('/')
      .set('content-type', 'application/json')
      .send(nested(6));
    expect(deep.status).toBe(400);
  });

  it('answers 413 with the limit to a body that is too large', async () => {
    const res = await request(app({ limit: '1kb' }))
      .post('/')
      .send({ text: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe(
      'The request body is larger than the 1kb this endpoint accepts; send less',
    );
  });

  it('answers 400 to malformed JSON, saying so', async () => {
    const res = await request(app())
      .post('/')
      .set('content-type', 'application/json')
      .send('{"name":');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /^The request body is not valid JSON: /,
    );
  });

  it('measures depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(exceedsJsonDepth(deep, 32)).toBe(true);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(exceedsJsonDepth({ a: [1, { b: {} }] }, 3)).toBe(true);
    expect(exceedsJsonDepth('text', 0)).toBe(false);
  });
});
