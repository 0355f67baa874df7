/**
 * Ingest answers that are not a plain success, through the real Worker app inside workerd: a
 * request whose every span is refused is a 400 (the OTLP/HTTP spec's "permanently invalid": a retry
 * cannot help), not a 200 with partial_success; a mistake in the tail-sampling policies fails the
 * request at once naming the var, not later in every trace's Durable Object.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';
import { BASE, postOtlp } from './helpers/api';
import { otlpJson, randomHex } from './helpers/spans';

describe('a request whose every span is refused', () => {
  it('OTLP JSON: 400 with a Status naming each span and field', async () => {
    const body = JSON.parse(otlpJson(randomHex(16), [{ spanId: randomHex(8), name: 'a' }, { spanId: randomHex(8), name: 'b' }])) as {
      resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
    };
    for (const s of body.resourceSpans[0]!.scopeSpans[0]!.spans) s.traceId = '0'.repeat(32);
    const res = await postOtlp(JSON.stringify(body));
    expect(res.status).toBe(400);
    const status = (await res.json()) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId/);
    expect(status.message).toMatch(/spans\[1\]\.traceId/);
  });

  it('OTLP JSON with one valid span among invalid ones: 200, the valid span kept, the others counted', async () => {
    const traceId = randomHex(16);
    const body = JSON.parse(otlpJson(traceId, [{ spanId: randomHex(8), name: 'good' }, { spanId: randomHex(8), name: 'bad' }])) as {
      resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
    };
    body.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.traceId = 'xyz';
    const res = await postOtlp(JSON.stringify(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedSpans: '1' } });
  });

  it('Zipkin: 400 with the errors listed', async () => {
    const res = await fetchApp('/api/v2/spans', [{ traceId: 'nope', id: randomHex(8), name: 'x', timestamp: Date.now() * 1000, duration: 5 }]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { accepted: number; errors: string[] };
    expect(body.accepted).toBe(0);
    expect(body.errors[0]).toMatch(/\[0\]\.traceId/);
  });
});

async function fetchApp(path: string, json: unknown, bindings: Env = env) {
  const ctx = createExecutionContext();
  const res = await app.request(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('tail-sampling configuration', () => {
  it('a malformed TAIL_POLICIES fails ingest at once with a 500 naming the var', async () => {
    const bindings = { ...env, TAIL_PRESAMPLE_RATE: '0.1', TAIL_POLICIES: '[{"type":"latency"}' } as Env;
    const res = await fetchApp('/v1/traces', JSON.parse(otlpJson(randomHex(16), [{ spanId: randomHex(8), name: 'a' }])), bindings);
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).toMatch(/TAIL_POLICIES/);
  });
});
