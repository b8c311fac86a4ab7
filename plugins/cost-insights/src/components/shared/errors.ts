import { ResponseError } from '@backstage/errors';

/** What went wrong, in the server's words when it said (Backstage error bodies carry the reason). */
export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body?.error?.message ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
