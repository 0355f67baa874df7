/**
 * The access-control shell: decides what a request needs (route-access.ts) and checks it —
 * an ingest key for ingest, a read token / session cookie / Cloudflare Access JWT for reads —
 * then hands the request on with the authenticated key in `c.get('ingestKey')`. With
 * AUTH_REQUIRED=false everything passes (local use). Failures are 401s that say how to get in,
 * and never echo what was presented.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../http-error';
import { AccessJwtError, accessCertsUrl, verifyAccessJwt } from './access-jwt';
import { readAuthConfig, type AuthConfig } from './auth-config';
import { ingestCredential, readCredential, secretsEqual } from './credentials';
import { AccessKeysUnavailableError, JwksCache } from './jwks';
import { findIngestKey } from './key-store';
import { routeAccess } from './route-access';
import type { IngestKey } from './scope';
import { readCookie, SESSION_COOKIE, verifySessionValue } from './session';

/** Who is reading: how they proved it (and their Access identity when there is one). */
export interface Reader {
  via: 'access' | 'token' | 'session';
  email?: string;
}

export interface AuthVariables {
  authConfig: AuthConfig;
  /** the key an ingest request was authenticated with; unset when AUTH_REQUIRED=false */
  ingestKey: IngestKey | undefined;
  reader: Reader | undefined;
}

export type AppEnv = { Bindings: Env; Variables: AuthVariables };

/** The authenticated ingest key of a request (for the ingest routes' service scope check). */
export function ingestKeyOf(c: Context): IngestKey | undefined {
  return (c as Context<AppEnv>).get('ingestKey');
}

/** The access config, read from `env` once per request. */
export function authConfigOf(c: Context<AppEnv>): AuthConfig {
  let config = c.get('authConfig');
  if (!config) {
    config = readAuthConfig(c.env as unknown as Record<string, unknown>);
    c.set('authConfig', config);
  }
  return config;
}

const jwks = new JwksCache(async (url) => {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
});

const CREATE_KEY_HINT = 'create a key with `npm run keys -- create NAME` (add --remote for a deployed instance)';

async function requireIngestKey(c: Context<AppEnv>, config: AuthConfig): Promise<IngestKey> {
  const challenge = { 'www-authenticate': 'Bearer realm="edgetrace ingest"' };
  const secret = ingestCredential(c.req.raw.headers);
  if (!secret)
    throw new ApiError(401, `an ingest key is required: send \`Authorization: Bearer <key>\` or \`x-api-key: <key>\`; ${CREATE_KEY_HINT}`, 'authorization', challenge);
  let key: IngestKey | null;
  try {
    key = await findIngestKey(c.env.DB, secret, {
      nowMs: Date.now(),
      cacheSeconds: config.keyCacheSeconds,
      waitUntil: (p) => c.executionCtx.waitUntil(p),
    });
  } catch (err) {
    console.error(`ingest key lookup failed: ${err instanceof Error ? err.message : String(err)}`);
    throw new ApiError(503, 'ingest keys cannot be checked right now; retry the request', undefined, { 'retry-after': '5' });
  }
  if (!key) throw new ApiError(401, `the ingest key is not valid (unknown, malformed or revoked); ${CREATE_KEY_HINT}`, 'authorization', challenge);
  return key;
}

/** The reader of a request, or the reason none of its credentials was accepted. */
export async function authenticateReader(c: Context<AppEnv>, config: AuthConfig): Promise<Reader | { refused: string[] }> {
  const refused: string[] = [];
  const nowSec = Math.floor(Date.now() / 1_000);
  const assertion = c.req.header('cf-access-jwt-assertion');
  if (config.access && assertion) {
    const access = config.access;
    try {
      const claims = await verifyAccessJwt(assertion, access, (kid) => jwks.key(accessCertsUrl(access), kid, Date.now()), nowSec);
      return { via: 'access', ...(typeof claims.email === 'string' ? { email: claims.email } : {}) };
    } catch (err) {
      if (err instanceof AccessKeysUnavailableError) {
        console.error(err.message);
        throw new ApiError(503, 'Cloudflare Access keys cannot be fetched right now; retry shortly', undefined, { 'retry-after': '30' });
      }
      if (!(err instanceof AccessJwtError)) throw err;
      refused.push(`the Cloudflare Access token was refused: ${err.message}`);
    }
  }
  if (config.readToken) {
    const token = readCredential(c.req.raw.headers);
    if (token) {
      if (await secretsEqual(token, config.readToken)) return { via: 'token' };
      refused.push('the read token is wrong');
    }
    const session = readCookie(c.req.header('cookie'), SESSION_COOKIE);
    if (session) {
      if (await verifySessionValue(session, config.readToken, nowSec)) return { via: 'session' };
      refused.push('the session has expired or ended: sign in again');
    }
  }
  return { refused };
}

async function requireReader(c: Context<AppEnv>, config: AuthConfig): Promise<Reader> {
  const result = await authenticateReader(c, config);
  if ('via' in result) return result;
  if (!config.readToken && !config.access)
    throw new ApiError(
      401,
      'reads are locked: no READ_TOKEN secret is set and Cloudflare Access is not configured (ACCESS_TEAM_DOMAIN, ACCESS_AUD); set one of them, see the README "Deploy" section',
      'authorization',
    );
  const ways = [
    ...(config.readToken ? ['send `Authorization: Bearer <read token>` (or Basic auth with it as the password)', 'sign in on the site'] : []),
    ...(config.access ? ['come through Cloudflare Access'] : []),
  ];
  const why = result.refused.length ? ` (${result.refused.join('; ')})` : '';
  throw new ApiError(401, `read access required${why}: to read, ${ways.join(', or ')}`, 'authorization', { 'www-authenticate': 'Bearer realm="edgetrace"' });
}

/** Checks what the route needs; sets `ingestKey` or `reader` for the handlers. */
export const accessControl: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = authConfigOf(c);
  const need = routeAccess(c.req.method, c.req.path);
  if (config.authRequired && need === 'ingest') c.set('ingestKey', await requireIngestKey(c, config));
  else if (config.authRequired && need === 'read') c.set('reader', await requireReader(c, config));
  await next();
};
