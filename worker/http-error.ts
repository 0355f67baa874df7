/**
 * The error every handler throws: an HTTP status plus the JSON body the API promises. One `onError`
 * (worker/app.ts) turns it into the response, so handlers never hand-build error bodies.
 */
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    /** the parameter or field the error is about, when there is one */
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

/** Jaeger's error envelope: `{data: null, errors: [{code, msg}]}`. */
export function errorBody(status: number, message: string) {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg: message }] };
}
