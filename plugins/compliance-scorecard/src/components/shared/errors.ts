import { ResponseError } from '@backstage/errors';

/** True when the backend answered 404: nothing evaluated yet, or no result on or before a date. */
export function isNotFound(error: unknown): boolean {
  return ResponseError.is(error) && error.statusCode === 404;
}

/** The message the backend gave (it names the field or permission), or the error's own. */
export function errorMessage(error: unknown): string {
  if (ResponseError.is(error)) return error.cause.message || error.message;
  return error instanceof Error ? error.message : String(error);
}
