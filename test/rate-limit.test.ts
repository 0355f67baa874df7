/**
 * Per-key rate limits through the real app and the real RateLimiter Durable Object: a key past
 * its budget gets 429 with Retry-After, other keys are unaffected, and sign-in attempts on the
 * site are limited per client address. The period is an hour, so no refill happens mid-test.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';
import { createKeySql } from '../worker/auth/key-admin';
import { otlpJson, randomHex } from './helpers/spans';

const VARS = { AUTH_REQUIRED: 'true', RATE_LIMIT_REQUESTS: '3', RATE_LIMIT_PERIOD_SECONDS: '3600', READ_TOKEN: 'rate-limit-test-token-0123' };

async function call(path: string, init: RequestInit, vars: Record<string, string> = VARS): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`https://edgetrace.test${path}`, init), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function createKey(name: string): Promise<string> {
  const { key, sql } = await createKeySql(name, null, Date.now());
  await env.DB.prepare(sql).run();
  return key;
}

const post = (key: string, vars?: Record<string, string>) =>
  call(
    '/v1/traces',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: otlpJson(randomHex(16), [{ spanId: randomHex(8), name: 'op' }]),
    },
    vars,
  );

describe('rate limits', () => {
  it('answers 429 with Retry-After once a key has used its budget', async () => {
    const key = await createKey('rate-a');
    for (let i = 0; i < 3; i++) expect((await post(key)).status).toBe(200);
    const res = await post(key);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(1200);
    const body = (await res.json()) as { errors: { msg: string }[] };
    expect(body.errors[0]!.msg).toMatch(/rate limit exceeded for ingest key "rate-a": at most 3 requests per 3600 s/);
  });

  it('counts each key on its own', async () => {
    const a = await createKey('rate-b1');
    const b = await createKey('rate-b2');
    for (let i = 0; i < 3; i++) await post(a);
    expect((await post(a)).status).toBe(429);
    expect((await post(b)).status).toBe(200);
  });

  it('can be switched off with RATE_LIMIT_REQUESTS=0', async () => {
    const key = await createKey('rate-c');
    for (let i = 0; i < 5; i++) expect((await post(key, { ...VARS, RATE_LIMIT_REQUESTS: '0' })).status).toBe(200);
  });

  it('does not limit ingest without keys (AUTH_REQUIRED=false, local use)', async () => {
    const open = { ...VARS, AUTH_REQUIRED: 'false' };
    for (let i = 0; i < 5; i++) expect((await post('no-key-needed', open)).status).toBe(200);
  });

  it('does not limit reads', async () => {
    for (let i = 0; i < 5; i++)
      expect((await call('/api/services', { headers: { authorization: `Bearer ${VARS.READ_TOKEN}` } })).status).toBe(200);
  });

  it('limits sign-in attempts per client address', async () => {
    const attempt = (ip: string) =>
      call('/api/session', { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: '{"token":"guess-guess-guess-guess"}' });
    for (let i = 0; i < 10; i++) expect((await attempt('198.51.100.7')).status).toBe(401);
    const limited = await attempt('198.51.100.7');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt('198.51.100.8')).status).toBe(401);
  });
});
