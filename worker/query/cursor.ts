/**
 * The opaque cursor of `/api/search`: where the previous page stopped in the newest-first order,
 * as (trace start µs, tie-breaker). The tie-breaker is what the search orders equal starts by: a
 * trace's index number when the search walks postings, its id when it walks the traces table. It
 * travels as base64url JSON; clients must not build one, and a cursor that does not decode is a 400.
 */
import { ApiError } from '../http-error';

export interface Cursor {
  startUs: number;
  /** index seq (number) or trace id (string) of the last trace on the previous page */
  after: number | string;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new Error('not base64url');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function encodeCursor(c: Cursor): string {
  return toBase64Url(JSON.stringify([c.startUs, c.after]));
}

/** Decodes a cursor from the query string; throws a 400 naming `cursor` when it is not one of ours. */
export function decodeCursor(raw: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(raw));
  } catch {
    throw new ApiError(400, 'parameter cursor: not a cursor returned by /api/search', 'cursor');
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [startUs, after] = parsed as unknown[];
    const validAfter = (typeof after === 'number' && Number.isSafeInteger(after) && after >= 0) || (typeof after === 'string' && TRACE_ID.test(after));
    if (typeof startUs === 'number' && Number.isSafeInteger(startUs) && startUs >= 0 && validAfter) return { startUs, after: after as number | string };
  }
  throw new ApiError(400, 'parameter cursor: not a cursor returned by /api/search', 'cursor');
}
