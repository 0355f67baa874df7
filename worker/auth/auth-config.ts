/**
 * The access-control vars, read and validated once per request into a typed config (the same way
 * worker/config.ts reads the pipeline's vars): who may ingest and read, which browser origins may
 * post spans, and how fast one key may send. A wrong value throws ConfigError naming the var.
 */
import { ConfigError, numberVar } from '../config';
import type { AccessSettings } from './access-jwt';
import { parseCorsOrigins, type CorsOrigins } from './cors';

export interface AuthConfig {
  /** false only for local use: no key needed to ingest, no token needed to read */
  authRequired: boolean;
  /** the read token (secret READ_TOKEN), when one is set */
  readToken: string | null;
  /** Cloudflare Access verification, when ACCESS_TEAM_DOMAIN and ACCESS_AUD are set */
  access: AccessSettings | null;
  /** browser origins allowed to post spans */
  corsOrigins: CorsOrigins;
  /** per ingest key: at most `requests` requests per `periodSeconds` (0 requests = no limit) */
  rateLimit: { requests: number; periodSeconds: number };
  /** how long an isolate trusts a key lookup; a revoked key stops working within this time */
  keyCacheSeconds: number;
}

export const defaultAuthConfig = {
  authRequired: true,
  rateLimitRequests: 60_000,
  rateLimitPeriodSeconds: 60,
  keyCacheSeconds: 60,
} as const;

/** A shorter read token is too easy to guess over the network. */
export const MIN_READ_TOKEN_LENGTH = 16;

type VarSource = Record<string, unknown>;

function text(env: VarSource, name: string): string {
  const raw = env[name];
  return typeof raw === 'string' ? raw.trim() : raw === undefined || raw === null ? '' : String(raw).trim();
}

function boolVar(env: VarSource, name: string, fallback: boolean): boolean {
  const raw = text(env, name).toLowerCase();
  if (raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(env[name])}`);
}

function accessSettings(env: VarSource): AccessSettings | null {
  const domain = text(env, 'ACCESS_TEAM_DOMAIN')
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const aud = text(env, 'ACCESS_AUD');
  if (!domain && !aud) return null;
  if (!domain) throw new ConfigError('ACCESS_TEAM_DOMAIN', 'must be set when ACCESS_AUD is (e.g. myteam.cloudflareaccess.com)');
  if (!aud) throw new ConfigError('ACCESS_AUD', "must be set when ACCESS_TEAM_DOMAIN is (the Access application's AUD tag)");
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain))
    throw new ConfigError('ACCESS_TEAM_DOMAIN', `must be a host name like myteam.cloudflareaccess.com, got ${JSON.stringify(env.ACCESS_TEAM_DOMAIN)}`);
  return { teamDomain: domain, aud };
}

export function readAuthConfig(env: VarSource): AuthConfig {
  const readToken = text(env, 'READ_TOKEN');
  if (readToken && readToken.length < MIN_READ_TOKEN_LENGTH)
    throw new ConfigError('READ_TOKEN', `must be at least ${MIN_READ_TOKEN_LENGTH} characters (try: openssl rand -base64 32)`);
  let corsOrigins: CorsOrigins;
  try {
    corsOrigins = parseCorsOrigins(text(env, 'CORS_ORIGINS'));
  } catch (err) {
    throw new ConfigError('CORS_ORIGINS', err instanceof Error ? err.message : String(err));
  }
  return {
    authRequired: boolVar(env, 'AUTH_REQUIRED', defaultAuthConfig.authRequired),
    readToken: readToken || null,
    access: accessSettings(env),
    corsOrigins,
    rateLimit: {
      requests: numberVar(env, 'RATE_LIMIT_REQUESTS', defaultAuthConfig.rateLimitRequests, { min: 0, max: 1_000_000_000, integer: true }),
      periodSeconds: numberVar(env, 'RATE_LIMIT_PERIOD_SECONDS', defaultAuthConfig.rateLimitPeriodSeconds, { min: 1, max: 86_400, integer: true }),
    },
    keyCacheSeconds: numberVar(env, 'INGEST_KEY_CACHE_SECONDS', defaultAuthConfig.keyCacheSeconds, { min: 0, max: 3_600, integer: true }),
  };
}
