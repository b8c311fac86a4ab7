import express, { RequestHandler } from 'express';
import { CustomErrorBase, InputError } from '@backstage/errors';

/**
 * A request body larger than its endpoint accepts: 413, with the limit in the message. @backstage/errors has no
 * such error; Backstage's error handler takes the status from `statusCode`.
 *
 * @public
 */
export class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  readonly statusCode = 413;
}

/** How deeply a JSON body may nest: Forge's documents (entities, facts, gate evaluations) need far fewer. @public */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether a parsed JSON value nests deeper than `max` levels. Walks with its own stack rather than recursion, so a
 * body nested 100,000 levels deep is measured, not a stack overflow (V8's JSON.parse itself does not recurse).
 *
 * @public
 */
export function exceedsJsonDepth(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') {
        stack.push([child, depth + 1]);
      }
    }
  }
  return false;
}

function bodyError(error: Error & { type?: string }, limit: string): Error {
  switch (error.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(
        `The request body is larger than the ${limit} this endpoint accepts; send less`,
      );
    case 'entity.parse.failed':
      return new InputError(
        `The request body is not valid JSON: ${error.message}`,
      );
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new InputError(
        `${error.message}; send JSON as UTF-8, uncompressed or gzip`,
      );
    default:
      return error;
  }
}

/**
 * The JSON body parser of every Forge router: express.json bounded in size and, once parsed, in depth, so a body
 * can neither exhaust memory nor crash validation with a stack overflow. Anything it refuses says what is wrong: a
 * body too large is a PayloadTooLargeError (413), anything else an InputError (400).
 *
 * @public
 */
export function jsonBody(
  options: { limit?: string; maxDepth?: number } = {},
): RequestHandler {
  const limit = options.limit ?? '1mb';
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const parse = express.json({ limit });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error) {
        next(bodyError(error as Error, limit));
      } else if (exceedsJsonDepth(req.body, maxDepth)) {
        next(
          new InputError(
            `The request body nests JSON deeper than ${maxDepth} levels; flatten it`,
          ),
        );
      } else {
        next();
      }
    });
  };
}
