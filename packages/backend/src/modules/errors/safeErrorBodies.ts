import { randomUUID } from 'node:crypto';
import { RequestHandler } from 'express';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';

/**
 * Errors whose message is written for the caller (`@backstage/errors` and the HTTP errors Backstage raises): kept
 * as they are at any status. Any other error answering 500 or more gets a generic message, since its text (a
 * file path, an SQL statement, a library's internals) was never meant for the caller.
 */
const MESSAGES_FOR_CALLERS = new Set([
  'InputError',
  'AuthenticationError',
  'NotAllowedError',
  'NotFoundError',
  'ConflictError',
  'NotModifiedError',
  'NotImplementedError',
  'ServiceUnavailableError',
  'ResponseError',
]);

type SerializedError = {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  stack?: unknown;
  cause?: unknown;
};

type ErrorResponseBody = {
  error: SerializedError;
  request?: Record<string, unknown>;
  response: { statusCode: number };
};

function isErrorResponseBody(body: unknown): body is ErrorResponseBody {
  const candidate = body as Partial<ErrorResponseBody> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.error === 'object' &&
    candidate.error !== null &&
    typeof candidate.response?.statusCode === 'number'
  );
}

/** Name, message and code of an error and its causes; never a stack. */
function withoutStacks(error: SerializedError, depth = 0): SerializedError {
  return {
    name: error.name,
    message: error.message,
    ...(typeof error.code === 'string' ? { code: error.code } : {}),
    ...(error.cause && typeof error.cause === 'object' && depth < 3
      ? { cause: withoutStacks(error.cause as SerializedError, depth + 1) }
      : {}),
  };
}

/**
 * Every error answer of the backend, whatever plugin and whatever NODE_ENV: a request id (also the `x-request-id`
 * header) the caller can quote, a message written for them, and no stack trace. Backstage's error handler puts
 * stacks with absolute paths in the body whenever NODE_ENV is `development`, which `./forge start` must set for the
 * guest sign-in; its `showStackTraces` option cannot be reached for the handler every plugin router gets. So the
 * answer is corrected here, the one place every response passes, and what it leaves out is logged with the id.
 */
export function safeErrorBodies(options: {
  logger: LoggerService;
}): RequestHandler {
  const { logger } = options;
  return (req, res, next) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 400 || !isErrorResponseBody(body)) {
        return json(body);
      }
      const status = body.response.statusCode;
      const error = body.error;
      const name = String(error.name ?? 'Error');
      const internal = status >= 500 && !MESSAGES_FOR_CALLERS.has(name);
      if (status >= 500 || error.stack) {
        logger.error(
          `Request ${requestId} ${req.method} ${
            req.originalUrl
          } failed with ${status}: ${name}: ${String(error.message)}`,
          {
            requestId,
            ...(typeof error.stack === 'string' ? { stack: error.stack } : {}),
          },
        );
      }
      return json({
        ...body,
        error: internal
          ? {
              name: 'Error',
              message: `Something went wrong in Forge. Quote request id ${requestId} to the platform team; the details are in the server log.`,
            }
          : withoutStacks(error),
        request: { ...body.request, id: requestId },
      });
    };
    next();
  };
}

/**
 * What answers a path no plugin serves. Backstage's own (MiddlewareFactory.notFound) answers an empty 404, which a
 * caller cannot tell from a proxy's; this one hands a NotFoundError to the error handler, so the answer has the
 * same body as every other error (message, request id).
 */
export function notFoundWithBody(): RequestHandler {
  return (req, _res, next) => {
    next(
      new NotFoundError(
        `Nothing at ${req.method} ${
          req.originalUrl.split('?')[0]
        }; each Forge API describes its routes at /api/<plugin>/openapi.json`,
      ),
    );
  };
}

/**
 * The root HTTP router of the Forge backend: Backstage's defaults, with {@link safeErrorBodies} in front of them
 * and {@link notFoundWithBody} in place of the empty 404.
 */
export const forgeRootHttpRouterServiceFactory = rootHttpRouterServiceFactory({
  configure({ app, logger, middleware, applyDefaults }) {
    app.use(safeErrorBodies({ logger }));
    // applyDefaults asks the same middleware factory for its 404 handler when it runs.
    middleware.notFound = notFoundWithBody;
    applyDefaults();
  },
});
