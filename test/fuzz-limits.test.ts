/**
 * Hostile input at each documented limit, through the real Worker: body size before and after
 * gzip (a gzip bomb gets 413 without being inflated whole), spans and items per request, JSON
 * nesting and size, protobuf group chains, attributes, events, value length, name length, value
 * nesting, timestamps, ids, unknown fields. Each refusal names the limit or the field and span
 * index, and the valid spans of the same request are kept.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { defaultIngestLimits } from '../worker/ingest/limits';
import { MAX_GROUP_DEPTH } from '../worker/ingest/protobuf-reader';
import { defaultBodyLimits, defaultJsonLimits } from '../worker/ingest/read-body';
import { concat, field, fixed64 } from '../worker/ingest/test-protobuf';
import { BASE } from './helpers/api';
import { randomHex } from './helpers/spans';

const NOW_NS = BigInt(Date.now()) * 1_000_000n;

function span(overrides: Record<string, unknown> = {}, traceId = randomHex(16)) {
  return { traceId, spanId: randomHex(8), name: 'op', kind: 2, startTimeUnixNano: String(NOW_NS), endTimeUnixNano: String(NOW_NS + 1_000_000n), ...overrides };
}

const request = (spans: unknown[]) =>
  JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'limits' } }] }, scopeSpans: [{ spans }] }] });

async function postJson(body: string | Uint8Array, headers: Record<string, string> = {}, path = '/v1/traces') {
  const res = await SELF.fetch(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body as BodyInit });
  return { status: res.status, text: await res.text() };
}

/** Posts a broken span beside a valid one; the valid one must be kept and the broken one named. */
async function expectRejectedBesideValid(broken: Record<string, unknown>, message: RegExp) {
  const traceId = randomHex(16);
  const good = span({}, traceId);
  const { status, text } = await postJson(request([good, span(broken, traceId)]));
  expect(status, text).toBe(200);
  const answer = JSON.parse(text) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
  expect(answer.partialSuccess.rejectedSpans).toBe('1');
  expect(answer.partialSuccess.errorMessage).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]/);
  expect(answer.partialSuccess.errorMessage).toMatch(message);
  const stored = (await (await SELF.fetch(`${BASE}/api/traces/${traceId}`)).json()) as { data: { spans: { spanID: string }[] }[] };
  expect(stored.data[0]!.spans.map((s) => s.spanID)).toEqual([good.spanId]);
}

const attrs = (n: number, value: unknown = { stringValue: 'v' }) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value }));

async function postProtobuf(body: Uint8Array) {
  const res = await SELF.fetch(`${BASE}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: body as BodyInit });
  return { status: res.status, text: await res.text() };
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}


/** A valid span message with `attributes` empty-valued attributes. */
function rawSpan(attributes: number): Uint8Array {
  const id = crypto.getRandomValues(new Uint8Array(24));
  const attribute = field(9, concat(field(1, [0x6b]), field(2, [])));
  return concat(field(1, id.subarray(0, 16)), field(2, id.subarray(16)), field(5, [0x6f, 0x70]), fixed64(7, NOW_NS), fixed64(8, NOW_NS + 1_000n), ...new Array<Uint8Array>(attributes).fill(attribute));
}
const rawRequest = (spans: Uint8Array[]) => field(1, field(2, concat(...spans.map((s) => field(2, s)))));

describe('request-wide limits', () => {
  it('refuses a body over the size limit with 413', async () => {
    const big = new Uint8Array(defaultBodyLimits.maxBodyBytes + 1).fill(0x20);
    const { status, text } = await postJson(big);
    expect(status).toBe(413);
    expect(text).toContain(String(defaultBodyLimits.maxBodyBytes));
  });

  it('refuses a gzip bomb with 413 naming the decompressed limit', async () => {
    // 64 MiB of spaces gzip to ~64 KiB; inflating stops at the decompressed limit (16 MiB).
    const bomb = new Blob([new Uint8Array(64 * 1024 * 1024).fill(0x20)]).stream().pipeThrough(new CompressionStream('gzip'));
    const body = new Uint8Array(await new Response(bomb).arrayBuffer());
    expect(body.length).toBeLessThan(defaultBodyLimits.maxBodyBytes);
    const { status, text } = await postJson(body, { 'content-encoding': 'gzip' });
    expect(status).toBe(413);
    expect(text).toMatch(new RegExp(`decompressed request body is larger than the limit of ${defaultBodyLimits.maxDecompressedBytes} bytes`));
  });

  it('refuses more spans than the per-request limit with 413 naming it, for OTLP and Zipkin', async () => {
    const n = defaultIngestLimits.maxSpansPerRequest + 1;
    const traceId = randomHex(16);
    const otlp = await postJson(request(Array.from({ length: n }, () => ({ traceId, spanId: randomHex(8), name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }))));
    expect(otlp.status).toBe(413);
    expect(otlp.text).toContain(`limit is ${defaultIngestLimits.maxSpansPerRequest}`);
    const zipkin = await postJson(JSON.stringify(Array.from({ length: n }, () => ({ traceId, id: randomHex(8) }))), {}, '/api/v2/spans');
    expect(zipkin.status).toBe(413);
    expect(zipkin.text).toContain(`limit is ${defaultIngestLimits.maxSpansPerRequest}`);
  });

  it(`refuses 1,100 spans of 1,000 empty attributes (7.4 MB of protobuf) with 413 naming the item limit of ${defaultIngestLimits.maxItemsPerRequest}`, async () => {
    const { status, text } = await postProtobuf(rawRequest(Array.from({ length: 1_100 }, () => rawSpan(1_000))));
    expect(status, text).toBe(413);
    expect(text).toContain(`attributes, events, links and array/kvlist values; the limit is ${defaultIngestLimits.maxItemsPerRequest} a request`);
  });

  it('refuses a chain of 100,000 START_GROUP tags with 400 naming the byte, not a 500', async () => {
    const { status, text } = await postProtobuf(new Uint8Array(100_000).fill(0x0b));
    expect(status, text).toBe(400);
    expect(text).toContain(`groups nested deeper than ${MAX_GROUP_DEPTH} levels at byte ${MAX_GROUP_DEPTH}`);
  });

  it('refuses a span holding a chain of START_GROUP tags alone, and keeps its neighbour', async () => {
    const chained = concat(rawSpan(1), new Uint8Array(100_000).fill(0x0b));
    const { status, text } = await postProtobuf(rawRequest([rawSpan(1), chained]));
    expect(status, text).toBe(200);
    expect(text).toMatch(new RegExp(`resourceSpans\\[0\\]\\.scopeSpans\\[0\\]\\.spans\\[1\\]: malformed protobuf: groups nested deeper than ${MAX_GROUP_DEPTH} levels`));
  });

  it(`refuses JSON nested deeper than ${defaultJsonLimits.maxDepth} with 400 naming the limit, at both endpoints (16 MiB of [[[...]]], gzip)`, async () => {
    const half = defaultBodyLimits.maxDecompressedBytes / 2;
    const body = await gzip('['.repeat(half) + ']'.repeat(half));
    for (const path of ['/v1/traces', '/api/v2/spans']) {
      const { status, text } = await postJson(body, { 'content-encoding': 'gzip' }, path);
      expect(status, text).toBe(400);
      expect(text).toContain(`deeper than the limit of ${defaultJsonLimits.maxDepth}`);
    }
  });

  it(`refuses JSON of more than ${defaultJsonLimits.maxValues} values with 413 naming the limit, at both endpoints`, async () => {
    const body = await gzip(`[${'{},'.repeat(defaultJsonLimits.maxValues)}{}]`);
    for (const path of ['/v1/traces', '/api/v2/spans']) {
      const { status, text } = await postJson(body, { 'content-encoding': 'gzip' }, path);
      expect(status, text).toBe(413);
      expect(text).toContain(`more than ${defaultJsonLimits.maxValues} values`);
    }
  });

  it('refuses a body that is not protobuf with 400', async () => {
    const res = await SELF.fetch(`${BASE}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) });
    expect(res.status).toBe(400);
  });

  it('refuses an unknown content type with 415', async () => {
    expect((await postJson('x', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('per-span limits and checks: the span is refused by index and field, its neighbours kept', () => {
  const L = defaultIngestLimits;
  it('too many attributes', () => expectRejectedBesideValid({ attributes: attrs(L.maxAttributes + 1) }, new RegExp(`${L.maxAttributes}`)));
  it('too many events', () =>
    expectRejectedBesideValid({ events: Array.from({ length: L.maxEvents + 1 }, () => ({ timeUnixNano: String(NOW_NS), name: 'e' })) }, new RegExp(`${L.maxEvents}`)));
  it('a value over the length limit', () =>
    expectRejectedBesideValid({ attributes: [{ key: 'big', value: { stringValue: 'x'.repeat(L.maxValueLength + 1) } }] }, new RegExp(`${L.maxValueLength}`)));
  it('a name over the length limit', () => expectRejectedBesideValid({ name: 'n'.repeat(L.maxNameLength + 1) }, new RegExp(`${L.maxNameLength}`)));
  it('a value nested past the depth limit', () => {
    let v: unknown = { stringValue: 'deep' };
    for (let i = 0; i < L.maxValueDepth + 1; i++) v = { arrayValue: { values: [v] } };
    return expectRejectedBesideValid({ attributes: [{ key: 'deep', value: v }] }, /nests deeper than the limit/);
  });
  it('an all-zero trace id', () => expectRejectedBesideValid({ traceId: '0'.repeat(32) }, /traceId/));
  it('a malformed span id', () => expectRejectedBesideValid({ spanId: 'nothex!!' }, /spanId/));
  it('an end before the start', () => expectRejectedBesideValid({ endTimeUnixNano: String(NOW_NS - 1n) }, /endTimeUnixNano/));
  it('a start before the year 2000', () => expectRejectedBesideValid({ startTimeUnixNano: '1000', endTimeUnixNano: '2000' }, /startTimeUnixNano/));
  it('a start far in the future', () => {
    const future = NOW_NS + BigInt(L.maxFutureSeconds + 3_600) * 1_000_000_000n;
    return expectRejectedBesideValid({ startTimeUnixNano: String(future), endTimeUnixNano: String(future + 1n) }, /startTimeUnixNano/);
  });
  it('an end far in the future', () => expectRejectedBesideValid({ endTimeUnixNano: String(2n ** 64n - 1n) }, /endTimeUnixNano: \d+ is more than \d+ s ahead/));
  it('an event at time 0', () => expectRejectedBesideValid({ events: [{ timeUnixNano: '0', name: 'e' }] }, /events\[0\]\.timeUnixNano: 0 is before 2000-01-01/));
  it('an event far in the future', () =>
    expectRejectedBesideValid({ events: [{ timeUnixNano: String(2n ** 64n - 1n), name: 'e' }] }, /events\[0\]\.timeUnixNano: \d+ is more than/));
  it('a wrong type', () => expectRejectedBesideValid({ name: 42 }, /name/));

  it('accepts unknown fields, as OTLP asks of receivers', async () => {
    const { status, text } = await postJson(request([span({ someFutureField: { x: 1 } })]));
    expect(status, text).toBe(200);
  });
});
