/**
 * Access control through the real app with real D1: ingest keys (Bearer and x-api-key, unknown,
 * revoked, last use), read tokens (Bearer, Basic, the site's session cookie), Cloudflare Access
 * JWTs, and AUTH_REQUIRED=false. Each request runs the exported app with this test's vars on top
 * of the real bindings, so the suite does not depend on the vars the other tests run with.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { app } from '../worker/app';
import { createKeySql, revokeKeySql } from '../worker/auth/key-admin';
import { findIngestKey, MISS_CACHE_SECONDS } from '../worker/auth/key-store';
import { otlpJson, randomHex } from './helpers/spans';

const READ_TOKEN = 'test-read-token-0123456789abcdef';
const AUTH = { AUTH_REQUIRED: 'true', INGEST_KEY_CACHE_SECONDS: '0', RATE_LIMIT_REQUESTS: '0' };

async function call(path: string, init: RequestInit = {}, vars: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`https://edgetrace.test${path}`, init), { ...env, ...AUTH, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function createKey(name: string, services: string[] | null = null): Promise<string> {
  const { key, sql } = await createKeySql(name, services, Date.now());
  await env.DB.prepare(sql).run();
  return key;
}

const spanBody = (service = 'checkout') => otlpJson(randomHex(16), [{ spanId: randomHex(8), name: 'GET /', service }]);
const postSpans = (headers: Record<string, string>, vars: Record<string, string> = {}, service?: string) =>
  call('/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: spanBody(service) }, vars);
const errorMessage = async (res: Response) => ((await res.json()) as { errors: { msg: string }[] }).errors[0]!.msg;

describe('ingest keys', () => {
  it('refuses spans without a key, saying how to create one', async () => {
    const res = await postSpans({});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await errorMessage(res)).toMatch(/npm run keys -- create NAME/);
  });

  it('refuses an unknown or malformed key without echoing it', async () => {
    const fake = `etk_${'A'.repeat(43)}`;
    for (const presented of [fake, 'not-a-key']) {
      const res = await postSpans({ authorization: `Bearer ${presented}` });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).toMatch(/not valid/);
      expect(text).not.toContain(presented);
    }
  });

  it('accepts a key created by the keys CLI, as Bearer or as x-api-key', async () => {
    const key = await createKey('auth-test-ok');
    expect((await postSpans({ authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await postSpans({ 'x-api-key': key })).status).toBe(200);
    expect((await postSpans({ authorization: 'Bearer' }, {})).status).toBe(401);
  });

  it('a key scoped to services keeps their spans and refuses the others, naming the service', async () => {
    const key = await createKey('auth-test-scoped', ['checkout']);
    const traceId = randomHex(16);
    const body = JSON.stringify({
      resourceSpans: [
        ...JSON.parse(otlpJson(traceId, [{ spanId: randomHex(8), name: 'ok', service: 'checkout' }])).resourceSpans,
        ...JSON.parse(otlpJson(traceId, [{ spanId: randomHex(8), name: 'not mine', service: 'billing' }])).resourceSpans,
      ],
    });
    const res = await call('/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(Number(answer.partialSuccess.rejectedSpans)).toBe(1);
    expect(answer.partialSuccess.errorMessage).toContain('billing');
  });

  it('accepts Zipkin spans with a key and refuses them without', async () => {
    const key = await createKey('auth-test-zipkin');
    const body = JSON.stringify([{ traceId: randomHex(16), id: randomHex(8), name: 'get', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 'z' } }]);
    const post = (headers: Record<string, string>) => call('/api/v2/spans', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-api-key': key })).status).toBe(202);
  });

  it('refuses a revoked key', async () => {
    const key = await createKey('auth-test-revoked');
    expect((await postSpans({ authorization: `Bearer ${key}` })).status).toBe(200);
    await env.DB.prepare(revokeKeySql('auth-test-revoked', Date.now()).split(';')[0]!).run();
    expect((await postSpans({ authorization: `Bearer ${key}` })).status).toBe(401);
  });

  it('records when a key was last used', async () => {
    const key = await createKey('auth-test-last-used');
    const before = Date.now();
    await postSpans({ authorization: `Bearer ${key}` });
    const row = await env.DB.prepare('SELECT last_used_at FROM ingest_keys WHERE name = ?').bind('auth-test-last-used').first<{ last_used_at: number }>();
    expect(row!.last_used_at).toBeGreaterThanOrEqual(before);
  });

  it('stores only the hash of a key', async () => {
    const key = await createKey('auth-test-hash-only');
    const row = await env.DB.prepare('SELECT * FROM ingest_keys WHERE name = ?').bind('auth-test-hash-only').first();
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets everything in with AUTH_REQUIRED=false', async () => {
    expect((await postSpans({}, { AUTH_REQUIRED: 'false' })).status).toBe(200);
    expect((await call('/api/services', {}, { AUTH_REQUIRED: 'false' })).status).toBe(200);
  });

  it('leaves the health check open', async () => {
    expect((await call('/healthz')).status).toBe(200);
  });
});

describe('ingest key lookups remember misses', () => {
  // The suite runs with the lookup caches off; these tests turn them on.
  const cached = { INGEST_KEY_CACHE_SECONDS: '60' };

  async function lookUp(secret: string, nowMs: number, cacheSeconds = 60) {
    const pending: Promise<unknown>[] = [];
    const key = await findIngestKey(env.DB, secret, { nowMs, cacheSeconds, waitUntil: (p) => pending.push(p) });
    await Promise.all(pending);
    return key;
  }

  it('refuses a key it has just missed without asking D1 again', async () => {
    const { key, sql } = await createKeySql('auth-test-miss-cached', null, Date.now());
    expect((await postSpans({ authorization: `Bearer ${key}` }, cached)).status).toBe(401);
    await env.DB.prepare(sql).run();
    // the row exists now: only a remembered miss can still refuse it
    expect((await postSpans({ authorization: `Bearer ${key}` }, cached)).status).toBe(401);
  });

  it(`accepts a key created after a miss once the miss is ${MISS_CACHE_SECONDS} s old`, async () => {
    const { key, sql } = await createKeySql('auth-test-miss-expires', ['checkout'], Date.now());
    const t0 = Date.now();
    expect(await lookUp(key, t0)).toBeNull();
    await env.DB.prepare(sql).run();
    expect(await lookUp(key, t0 + MISS_CACHE_SECONDS * 1_000 - 1)).toBeNull();
    expect(await lookUp(key, t0 + MISS_CACHE_SECONDS * 1_000)).toEqual({ name: 'auth-test-miss-expires', services: ['checkout'] });
  });

  it('remembers a miss no longer than INGEST_KEY_CACHE_SECONDS, and not at all with 0', async () => {
    const short = await createKeySql('auth-test-miss-short', null, Date.now());
    const t0 = Date.now();
    expect(await lookUp(short.key, t0, 5)).toBeNull();
    await env.DB.prepare(short.sql).run();
    expect(await lookUp(short.key, t0 + 4_999, 5)).toBeNull();
    expect(await lookUp(short.key, t0 + 5_000, 5)).toMatchObject({ name: 'auth-test-miss-short' });

    const off = await createKeySql('auth-test-miss-off', null, Date.now());
    expect(await lookUp(off.key, t0, 0)).toBeNull();
    await env.DB.prepare(off.sql).run();
    expect(await lookUp(off.key, t0, 0)).toMatchObject({ name: 'auth-test-miss-off' });
  });

  it('keeps refusing a revoked key with the caches on', async () => {
    const key = await createKey('auth-test-miss-revoked');
    await env.DB.prepare(revokeKeySql('auth-test-miss-revoked', Date.now()).split(';')[0]!).run();
    for (let i = 0; i < 3; i++) expect((await postSpans({ 'x-api-key': key }, cached)).status).toBe(401);
  });
});

describe('read access with a read token', () => {
  const vars = { READ_TOKEN };

  it('locks reads when neither a read token nor Access is configured, and says what to set', async () => {
    const res = await call('/api/services');
    expect(res.status).toBe(401);
    expect(await errorMessage(res)).toMatch(/READ_TOKEN.*ACCESS_TEAM_DOMAIN/);
  });

  it('refuses reads without a token, naming the ways in', async () => {
    const res = await call('/api/services', {}, vars);
    expect(res.status).toBe(401);
    expect(await errorMessage(res)).toMatch(/Authorization: Bearer <read token>.*sign in on the site/);
  });

  it('protects every API route, including ones it does not know', async () => {
    for (const path of ['/api/traces?service=x', '/api/traces/5b8efff798038103d269b633813fc60c', '/api/operations', '/api/something-new'])
      expect((await call(path, {}, vars)).status).toBe(401);
  });

  it('cannot be dodged with percent-encoding, case or extra slashes in the path', async () => {
    for (const path of ['/%61pi/services', '/api/%73ervices', '//api//services', '/api/services/', '/API/services'])
      expect((await call(path, {}, vars)).status, path).toBe(401);
  });

  it('accepts the token as Bearer or as the Basic auth password', async () => {
    expect((await call('/api/services', { headers: { authorization: `Bearer ${READ_TOKEN}` } }, vars)).status).toBe(200);
    expect((await call('/api/services', { headers: { authorization: `Basic ${btoa(`grafana:${READ_TOKEN}`)}` } }, vars)).status).toBe(200);
  });

  it('refuses a wrong token and never echoes it', async () => {
    const res = await call('/api/services', { headers: { authorization: 'Bearer wrong-token-wrong-token' } }, vars);
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toMatch(/read token is wrong/);
    expect(text).not.toContain('wrong-token-wrong-token');
  });

  it('does not take a read token as an ingest key, nor a key as a read token', async () => {
    const key = await createKey('auth-test-not-a-reader');
    expect((await postSpans({ authorization: `Bearer ${READ_TOKEN}` }, vars)).status).toBe(401);
    expect((await call('/api/services', { headers: { authorization: `Bearer ${key}` } }, vars)).status).toBe(401);
  });

  it('signs the site in once with a session cookie that does not contain the token', async () => {
    const signIn = (token: string) =>
      call('/api/session', { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.1' }, body: JSON.stringify({ token }) }, vars);
    expect((await signIn('not-the-token')).status).toBe(401);
    const ok = await signIn(READ_TOKEN);
    expect(ok.status).toBe(204);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^edgetrace_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=2592000; Secure$/);
    expect(setCookie).not.toContain(READ_TOKEN);
    const cookie = setCookie.split(';')[0]!;

    expect((await call('/api/services', { headers: { cookie } }, vars)).status).toBe(200);
    const state = await (await call('/api/session', { headers: { cookie } }, vars)).json();
    expect(state).toEqual({ authRequired: true, authenticated: true, via: 'session', methods: { readToken: true, access: false } });

    // Rotating the read token ends every session.
    expect((await call('/api/services', { headers: { cookie } }, { READ_TOKEN: `${READ_TOKEN}-rotated` })).status).toBe(401);

    const out = await call('/api/session', { method: 'DELETE' }, vars);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^edgetrace_session=; .*Max-Age=0/);
  });

  it('tells the site whether it must ask for the token', async () => {
    expect(await (await call('/api/session', {}, vars)).json()).toEqual({
      authRequired: true,
      authenticated: false,
      via: null,
      methods: { readToken: true, access: false },
    });
    expect(await (await call('/api/session', {}, { AUTH_REQUIRED: 'false' })).json()).toMatchObject({ authRequired: false, authenticated: true });
  });

  it('refuses a malformed sign-in body with 400', async () => {
    const res = await call('/api/session', { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.2' }, body: '{"tok' }, vars);
    expect(res.status).toBe(400);
  });

  it('answers 500 naming the var when the read token is too short, without showing it', async () => {
    const res = await call('/api/services', {}, { READ_TOKEN: 'short-secret' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toMatch(/READ_TOKEN: must be at least 16 characters/);
    expect(text).not.toContain('short-secret');
  });
});

describe('read access through Cloudflare Access', () => {
  const TEAM = 'edgetrace-test.cloudflareaccess.com';
  const AUD = 'a1b2c3d4e5f6';
  const vars = { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD };
  let privateKey: CryptoKey;
  let jwk: JsonWebKey;

  const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const part = (v: unknown) => b64url(new TextEncoder().encode(JSON.stringify(v)));
  async function jwt(claims: Record<string, unknown>): Promise<string> {
    const input = `${part({ alg: 'RS256', kid: 'test-kid', typ: 'JWT' })}.${part(claims)}`;
    const sig = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, new TextEncoder().encode(input)));
    return `${input}.${b64url(sig)}`;
  }
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    privateKey = pair.privateKey;
    jwk = { ...((await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey), kid: 'test-kid', use: 'sig', alg: 'RS256' } as JsonWebKey;
    // Cloudflare's certs endpoint is outside the test; answer it with this test's public key.
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url === `https://${TEAM}/cdn-cgi/access/certs`) return Response.json({ keys: [jwk] });
      return realFetch(input, init);
    });
  });
  afterAll(() => vi.restoreAllMocks());

  it('accepts a JWT signed by the team for this application', async () => {
    const token = await jwt({ iss: `https://${TEAM}`, aud: [AUD], exp: now() + 300, iat: now(), email: 'ops@example.com' });
    expect((await call('/api/services', { headers: { 'cf-access-jwt-assertion': token } }, vars)).status).toBe(200);
    const state = await (await call('/api/session', { headers: { 'cf-access-jwt-assertion': token } }, vars)).json();
    expect(state).toMatchObject({ authenticated: true, via: 'access', methods: { access: true, readToken: false } });
  });

  it('refuses a JWT for another application, saying why', async () => {
    const token = await jwt({ iss: `https://${TEAM}`, aud: ['other-app'], exp: now() + 300 });
    const res = await call('/api/services', { headers: { 'cf-access-jwt-assertion': token } }, vars);
    expect(res.status).toBe(401);
    expect(await errorMessage(res)).toMatch(/Cloudflare Access token was refused: JWT audience/);
  });

  it('refuses an expired JWT', async () => {
    const token = await jwt({ iss: `https://${TEAM}`, aud: [AUD], exp: now() - 3600 });
    expect((await call('/api/services', { headers: { 'cf-access-jwt-assertion': token } }, vars)).status).toBe(401);
  });

  it('ignores the Access header when Access is not configured', async () => {
    const token = await jwt({ iss: `https://${TEAM}`, aud: [AUD], exp: now() + 300 });
    expect((await call('/api/services', { headers: { 'cf-access-jwt-assertion': token } }, { READ_TOKEN })).status).toBe(401);
  });
});
