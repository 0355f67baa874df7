/**
 * An operator's own searchable attribute keys (`INDEXED_TAG_KEYS`, here `tenant.id`, set for the
 * workers projects in vitest.config.ts): the trace's Durable Object indexes them when it writes the
 * trace, so the Jaeger API and the native search find the trace by them, and the site's
 * autocomplete offers their values.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, postOtlp, waitForTrace } from './helpers/api';
import { otlpJson, randomHex } from './helpers/spans';

async function get(path: string): Promise<{ status: number; body: { data: unknown[]; errors: unknown } }> {
  const res = await SELF.fetch(`${BASE}${path}`);
  return { status: res.status, body: (await res.json()) as { data: unknown[]; errors: unknown } };
}

/** otlpJson's spans start at a fixed time (test/helpers/spans.ts): search an hour either side of it. */
const BASE_US = 1_764_000_000_000_000;
const WINDOW = `start=${BASE_US - 3_600_000_000}&end=${BASE_US + 3_600_000_000}`;

describe('INDEXED_TAG_KEYS', () => {
  it('a listed key on any span of the trace finds the trace, and its values are offered', async () => {
    const u = randomHex(4);
    const service = `tenants-${u}`;
    const tenant = `acme-${u}`;
    const traceId = randomHex(16);
    const root = randomHex(8);
    // the key is on the child, not the root: every span's attributes are indexed
    const body = otlpJson(traceId, [
      { spanId: root, name: 'GET /orders', service, start: 0, end: 40 },
      { spanId: randomHex(8), parentSpanId: root, name: 'load orders', service, start: 5, end: 30, attributes: { 'tenant.id': tenant } },
    ]);
    expect((await postOtlp(body)).status).toBe(200);
    await waitForTrace(traceId, 2);
    // the index rows are written right after the R2 object
    const deadline = Date.now() + 15_000;
    while ((await get(`/api/traces?service=${service}&${WINDOW}`)).body.data.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));

    const keys = await get('/api/tags/keys');
    expect(keys.body.data).toContain('tenant.id');

    const jaeger = await get(`/api/traces?service=${service}&tag=tenant.id:${tenant}&${WINDOW}`);
    expect(jaeger.status).toBe(200);
    expect((jaeger.body.data as { traceID: string }[]).map((t) => t.traceID)).toEqual([traceId]);

    const other = await get(`/api/traces?service=${service}&tag=tenant.id:someone-else-${u}&${WINDOW}`);
    expect(other.body.data).toEqual([]);

    const native = await get(`/api/search?tags=${encodeURIComponent(JSON.stringify({ 'tenant.id': tenant }))}&${WINDOW}`);
    expect(native.status).toBe(200);
    expect((native.body.data as { traceId: string }[]).map((t) => t.traceId)).toEqual([traceId]);

    const values = await get('/api/tags/values?key=tenant.id');
    expect(values.body.data).toContain(tenant);
  });
});
