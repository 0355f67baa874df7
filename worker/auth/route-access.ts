/**
 * What a request needs before it reaches its route: ingest endpoints need an ingest key, the
 * session endpoint and the health check are open, and everything else under /api/ needs read
 * access (a route someone adds later is protected by default). CORS preflights are answered
 * before any of this, since browsers send them without credentials.
 */

export type RouteAccess = 'ingest' | 'read' | 'open';

export const INGEST_PATHS = ['/v1/traces', '/api/v2/spans'] as const;
export const SESSION_PATH = '/api/session';

/** Classifies by a normalised path (case and repeated or trailing slashes do not open a way round). */
export function routeAccess(method: string, path: string): RouteAccess {
  const p = `/${path.toLowerCase().split('/').filter(Boolean).join('/')}`;
  if ((INGEST_PATHS as readonly string[]).includes(p)) return method.toUpperCase() === 'POST' ? 'ingest' : 'read';
  if (p === SESSION_PATH) return 'open';
  if (p === '/api' || p.startsWith('/api/') || p === '/v1' || p.startsWith('/v1/')) return 'read';
  return 'open';
}
