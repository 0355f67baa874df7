/**
 * `/api/session`: how the site signs in with the read token once and keeps a cookie after.
 *   GET    → whether reads need auth, whether this request has it, and which ways exist
 *   POST   {"token": "..."} → 204 + session cookie (HttpOnly; the token itself is never echoed)
 *   DELETE → 204, cookie cleared
 * Sign-in attempts are rate limited per client address, so a weak token cannot be guessed fast.
 */
import { Hono } from 'hono';
import { ApiError } from '../http-error';
import { readBody } from '../ingest/read-body';
import { checkRateLimit } from '../rate-limit';
import { secretsEqual } from './credentials';
import { authConfigOf, authenticateReader, type AppEnv } from './middleware';
import { SESSION_PATH } from './route-access';
import { SESSION_SECONDS, sessionCookieHeader, sessionValue } from './session';

/** Sign-in attempts allowed per client address. */
const SIGN_IN_LIMIT = { requests: 10, periodSeconds: 60 };
const secure = (url: string) => new URL(url).protocol === 'https:';

export const session = new Hono<AppEnv>();

session.get(SESSION_PATH, async (c) => {
  const config = authConfigOf(c);
  const reader = config.authRequired ? await authenticateReader(c, config) : null;
  return c.json({
    authRequired: config.authRequired,
    authenticated: !config.authRequired || (reader !== null && 'via' in reader),
    via: reader && 'via' in reader ? reader.via : null,
    methods: { readToken: config.readToken !== null, access: config.access !== null },
  });
});

session.post(SESSION_PATH, async (c) => {
  const config = authConfigOf(c);
  if (!config.readToken) throw new ApiError(400, 'sign-in with a read token is not enabled: no READ_TOKEN secret is set', 'token');
  const client = c.req.header('cf-connecting-ip') ?? 'unknown';
  const limited = await checkRateLimit(c.env, `sign-in:${client}`, SIGN_IN_LIMIT);
  if (!limited.ok)
    throw new ApiError(429, `too many sign-in attempts; retry after ${limited.retryAfterSeconds} s`, undefined, {
      'retry-after': String(limited.retryAfterSeconds),
    });
  const body = await readBody(c.req.raw, { maxBodyBytes: 4_096, maxDecompressedBytes: 4_096 });
  let token: unknown;
  try {
    token = (JSON.parse(new TextDecoder().decode(body)) as { token?: unknown } | null)?.token;
  } catch {
    throw new ApiError(400, 'body must be JSON: {"token": "<read token>"}', 'body');
  }
  if (typeof token !== 'string' || token === '') throw new ApiError(400, 'body must be JSON: {"token": "<read token>"}', 'token');
  if (!(await secretsEqual(token, config.readToken))) throw new ApiError(401, 'the read token is wrong', 'token');
  const expires = Math.floor(Date.now() / 1_000) + SESSION_SECONDS;
  c.header('set-cookie', sessionCookieHeader(await sessionValue(config.readToken, expires), SESSION_SECONDS, secure(c.req.url)));
  c.header('cache-control', 'no-store');
  return c.body(null, 204);
});

session.delete(SESSION_PATH, (c) => {
  c.header('set-cookie', sessionCookieHeader('', 0, secure(c.req.url)));
  return c.body(null, 204);
});
