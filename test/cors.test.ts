/**
 * CORS for browser exporters: preflights from CORS_ORIGINS are answered without credentials,
 * refused origins get no Allow-Origin, and the headers are on error answers too (a browser
 * exporter must be able to read a 401 or a 429). The read API gets no CORS at all.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';

const VARS = { AUTH_REQUIRED: 'true', CORS_ORIGINS: 'https://shop.example.com, https://*.apps.example.com', RATE_LIMIT_REQUESTS: '0' };

async function call(path: string, init: RequestInit = {}, vars: Record<string, string> = VARS): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`https://edgetrace.test${path}`, init), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const preflight = (origin: string, path = '/v1/traces') =>
  call(path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  });

describe('CORS', () => {
  it('answers a preflight from an allowed origin without asking for a key', async () => {
    for (const path of ['/v1/traces', '/api/v2/spans']) {
      const res = await preflight('https://shop.example.com', path);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      expect(res.headers.get('access-control-allow-methods')).toBe('POST,OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe('content-type,content-encoding,authorization,x-api-key');
      expect(res.headers.get('access-control-max-age')).toBe('86400');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toContain('Origin');
    }
  });

  it('allows one subdomain level of a wildcard origin', async () => {
    expect((await preflight('https://checkout.apps.example.com')).headers.get('access-control-allow-origin')).toBe('https://checkout.apps.example.com');
    expect((await preflight('https://a.b.apps.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives no Allow-Origin to other origins', async () => {
    const res = await preflight('https://evil.example.net');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows no origin by default', async () => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request('https://edgetrace.test/v1/traces', { method: 'OPTIONS', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } }),
      { ...env, AUTH_REQUIRED: 'true', CORS_ORIGINS: '' } as Env,
      ctx,
    );
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts the CORS headers on an error answer, so the exporter can read it', async () => {
    const res = await call('/v1/traces', { method: 'POST', headers: { origin: 'https://shop.example.com', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(res.headers.get('access-control-expose-headers')).toBe('retry-after');
  });

  it('gives the read API no CORS headers', async () => {
    const res = await call('/api/services', { headers: { origin: 'https://shop.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a CORS_ORIGINS that is not a list of origins, naming the var', async () => {
    const res = await call('/v1/traces', { method: 'OPTIONS', headers: { origin: 'https://x.com' } }, { CORS_ORIGINS: 'shop.example.com' });
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/CORS_ORIGINS/);
  });
});
