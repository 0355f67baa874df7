/**
 * Property-based fuzzing of the real ingest handlers in workerd (fast-check, fixed seed, bounded
 * runs): random bytes, long START_GROUP chains, deep JSON, and valid OTLP protobuf / OTLP JSON /
 * Zipkin payloads mutated at random are thrown at `/v1/traces` and `/api/v2/spans`. Whatever comes
 * in, the answer is a 4xx or a 2xx — never a 5xx, never a crash — and when valid spans travel beside
 * broken ones, in any of the three formats, the valid ones are stored and only the broken ones are
 * counted in the answer.
 */
import { SELF } from 'cloudflare:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE } from './helpers/api';
import { recordProfileRequest, toJson, toProtobuf } from './helpers/otel';
import { randomHex } from './helpers/spans';
import { concat, field, fieldOf } from '../worker/ingest/test-protobuf';

const SEED = 20261125;
const settings = (numRuns: number) => ({ seed: SEED, numRuns, endOnFailure: true });

async function post(path: string, body: Uint8Array | string, type: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers }, body: body as BodyInit });
}

/** Statuses seen per property, to check that the mutations reach both the accepting and the refusing paths. */
const seen = new Map<string, Set<number>>();

async function expectNo5xx(res: Response, what: string): Promise<void> {
  const text = await res.text();
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  expect([200, 202, 400, 413, 415], `${what} → ${res.status}`).toContain(res.status);
  seen.set(what, (seen.get(what) ?? new Set()).add(res.status));
}

const accepted = (what: string) => [...(seen.get(what) ?? [])].some((s) => s < 300);
const refused = (what: string) => [...(seen.get(what) ?? [])].some((s) => s >= 400);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
}

/** START_GROUP tags of fields 1, 2, 3 and 15: a chain of them nests groups without end. */
const groupTag = fc.constantFrom(0x0b, 0x13, 0x1b, 0x7b);

/** Byte-level mutations of a valid message: flips, overwrites, cuts, insertions, repeats, group chains. */
const byteMutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 2, max: 50 }) }),
  fc.record({ op: fc.constant('groups' as const), at: fc.nat(), tag: groupTag, length: fc.integer({ min: 1, max: 20_000 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(base: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'flip') b[at]! ^= 1 << m.bit;
    else if (m.op === 'set') b[at] = m.value;
    else if (m.op === 'cut') b = b.slice(0, at);
    else if (m.op === 'insert') b = Uint8Array.from([...b.slice(0, at), ...m.bytes, ...b.slice(at)]);
    else if (m.op === 'groups') b = concat(b.subarray(0, at), new Uint8Array(m.length).fill(m.tag), b.subarray(at));
    else {
      const piece = b.slice(at, at + m.length);
      b = Uint8Array.from([...b.slice(0, at), ...Array.from({ length: m.times }, () => [...piece]).flat(), ...b.slice(at)]);
    }
  }
  return b;
}


/** Every path (as key lists) into a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** Replaces (or deletes, with `undefined`) the value at a path of a deep copy. */
function replaceAt(root: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

/** Values that break types and ranges: wrong JSON types, huge and negative numbers, bad hex, nesting up to `maxNesting` values deep. */
const hostileValues = (maxNesting: number) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.constantFrom(undefined, null, '', '0'.repeat(32), 'zz', '-1', '1e400', '18446744073709551616', -1, 1e308, Number.MAX_SAFE_INTEGER, true, [], {}),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.integer({ min: 1, max: maxNesting }).map((depth) => {
      let v: unknown = { stringValue: 'x' };
      for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
      return v;
    }),
  );
const hostileValue = hostileValues(40);

const jsonMutations = (base: unknown, values = hostileValue) => {
  const paths = pathsOf(base);
  return fc.array(fc.tuple(fc.nat({ max: paths.length - 1 }), values), { minLength: 1, maxLength: 4 }).map((edits) => {
    let v = base;
    for (const [i, replacement] of edits) {
      const path = paths[i]!;
      try {
        v = replaceAt(v, path, replacement);
      } catch {
        // an earlier edit removed this path: the edit is skipped
      }
    }
    return v;
  });
};

describe('fuzzing the ingest handlers', () => {
  const recorded = recordProfileRequest();
  const protobuf = toProtobuf(recorded.spans);
  const otlpJson = JSON.parse(toJson(recorded.spans)) as unknown;
  const nowUs = Date.now() * 1_000;
  const zipkin = [
    { traceId: 'a'.repeat(32), id: 'b'.repeat(16), name: 'get /', kind: 'SERVER', timestamp: nowUs, duration: 1_500, localEndpoint: { serviceName: 'web', ipv4: '10.0.0.1' }, tags: { 'http.method': 'GET' }, annotations: [{ timestamp: nowUs + 10, value: 'ws' }] },
    { traceId: 'a'.repeat(32), parentId: 'b'.repeat(16), id: 'c'.repeat(16), name: 'query', kind: 'CLIENT', timestamp: nowUs + 100, duration: 900, localEndpoint: { serviceName: 'web' }, remoteEndpoint: { serviceName: 'db', port: 5432 } },
  ];

  it('answers random bytes as OTLP protobuf (plain and gzip) with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_048 }), fc.boolean(), async (bytes, compressed) => {
        const body = compressed ? await gzip(bytes) : bytes;
        await expectNo5xx(await post('/v1/traces', body, 'application/x-protobuf', compressed ? { 'content-encoding': 'gzip' } : {}), 'random protobuf');
      }),
      settings(400),
    );
  });

  it('answers chains of START_GROUP tags, bare or between random bytes, with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), groupTag, fc.integer({ min: 1, max: 100_000 }), fc.uint8Array({ maxLength: 64 }), async (before, tag, length, after) => {
        const body = concat(before, new Uint8Array(length).fill(tag), after);
        await expectNo5xx(await post('/v1/traces', body, 'application/x-protobuf'), 'group chains');
      }),
      settings(60),
    );
  });

  it('answers mutated OTLP protobuf from the real SDK with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(byteMutation, { minLength: 1, maxLength: 6 }), async (mutations) => {
        await expectNo5xx(await post('/v1/traces', mutateBytes(protobuf, mutations), 'application/x-protobuf'), 'mutated protobuf');
      }),
      settings(800),
    );
    expect(accepted('mutated protobuf') && refused('mutated protobuf'), `statuses: ${[...seen.get('mutated protobuf')!]}`).toBe(true);
  });

  it('answers random JSON at both endpoints with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const text = JSON.stringify(value) ?? 'null';
        await expectNo5xx(await post('/v1/traces', text, 'application/json'), 'random OTLP JSON');
        await expectNo5xx(await post('/api/v2/spans', text, 'application/json'), 'random Zipkin JSON');
      }),
      settings(300),
    );
  });

  it('answers deeply nested JSON at both endpoints with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('[', '{"a":', '[{"a":'), fc.boolean(), async (depth, open, closed) => {
        const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
        const text = open.repeat(depth) + (closed ? `0${close.repeat(depth)}` : '');
        await expectNo5xx(await post('/v1/traces', text, 'application/json'), 'deep OTLP JSON');
        await expectNo5xx(await post('/api/v2/spans', text, 'application/json'), 'deep Zipkin JSON');
      }),
      settings(40),
    );
  });

  it('answers cut and spliced JSON text without a 5xx', async () => {
    const text = JSON.stringify(otlpJson);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), fc.string({ maxLength: 8 }), async (at, splice) => {
        await expectNo5xx(await post('/v1/traces', text.slice(0, at) + splice, 'application/json'), 'cut OTLP JSON');
      }),
      settings(200),
    );
  });

  it('answers OTLP JSON from the real SDK with random fields replaced or removed with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(jsonMutations(otlpJson), async (value) => {
        await expectNo5xx(await post('/v1/traces', JSON.stringify(value) ?? 'null', 'application/json'), 'mutated OTLP JSON');
      }),
      settings(600),
    );
    expect(accepted('mutated OTLP JSON') && refused('mutated OTLP JSON'), `statuses: ${[...seen.get('mutated OTLP JSON')!]}`).toBe(true);
  });

  it('answers Zipkin v2 JSON with random fields replaced or removed with 4xx or 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(jsonMutations(zipkin), async (value) => {
        await expectNo5xx(await post('/api/v2/spans', JSON.stringify(value) ?? 'null', 'application/json'), 'mutated Zipkin');
      }),
      settings(500),
    );
    expect(accepted('mutated Zipkin') && refused('mutated Zipkin'), `statuses: ${[...seen.get('mutated Zipkin')!]}`).toBe(true);
  });
});

describe('valid spans beside broken ones', () => {
  const NOW_NS = BigInt(Date.now()) * 1_000_000n;

  /** A valid OTLP JSON span with random names and attribute values. */
  const validSpan = fc.record({
    name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    durationNs: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
    attributes: fc.array(
      fc.record({
        key: fc.string({ minLength: 1, maxLength: 20 }),
        value: fc.oneof(
          fc.string({ maxLength: 100 }).map((s) => ({ stringValue: s })),
          fc.boolean().map((b) => ({ boolValue: b })),
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ intValue: String(i) })),
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => ({ doubleValue: d })),
        ),
      }),
      { maxLength: 8 },
    ),
  });

  /** Ways to break a span that every OTLP receiver must refuse. */
  const breakSpan = fc.constantFrom(
    (s: Record<string, unknown>) => ({ ...s, traceId: '0'.repeat(32) }),
    (s: Record<string, unknown>) => ({ ...s, traceId: 'xyz' }),
    (s: Record<string, unknown>) => ({ ...s, spanId: '0'.repeat(16) }),
    (s: Record<string, unknown>) => ({ ...s, spanId: 12345 }),
    (s: Record<string, unknown>) => ({ ...s, endTimeUnixNano: String(BigInt(s.startTimeUnixNano as string) - 1_000n) }),
    (s: Record<string, unknown>) => ({ ...s, startTimeUnixNano: '12', endTimeUnixNano: '13' }),
    (s: Record<string, unknown>) => ({ ...s, startTimeUnixNano: 'soon' }),
    (s: Record<string, unknown>) => ({ ...s, attributes: 'not a list' }),
    (s: Record<string, unknown>) => ({ ...s, name: { text: 'not a string' } }),
  );

  it('keeps exactly the valid spans and counts the broken ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validSpan, { minLength: 1, maxLength: 6 }), fc.array(breakSpan, { maxLength: 4 }), async (valid, breakers) => {
        const traceId = randomHex(16);
        const make = (v: (typeof valid)[number]) => ({
          traceId,
          spanId: randomHex(8),
          name: v.name,
          kind: 1,
          startTimeUnixNano: String(NOW_NS),
          endTimeUnixNano: String(NOW_NS + v.durationNs),
          attributes: v.attributes,
        });
        const good = valid.map(make);
        const bad = breakers.map((b, i) => b(make(valid[i % valid.length]!)));
        // Broken spans between valid ones: good[0], bad[0], good[1], bad[1], ...
        const spans = good.flatMap((g, i) => (bad[i] ? [g, bad[i]] : [g])).concat(bad.slice(good.length));
        const body = JSON.stringify({
          resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] }, scopeSpans: [{ spans }] }],
        });
        const res = await post('/v1/traces', body, 'application/json');
        const text = await res.text();
        expect(res.status, text).toBe(200);
        const answer = JSON.parse(text) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
        expect(Number(answer.partialSuccess?.rejectedSpans ?? 0), text).toBe(bad.length);
        if (bad.length) expect(answer.partialSuccess!.errorMessage).toMatch(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[\d+\]/);

        const stored = await SELF.fetch(`${BASE}/api/traces/${traceId}`);
        const trace = ((await stored.json()) as { data: { spans: { spanID: string }[] }[] }).data[0]!;
        expect(trace.spans.map((s) => s.spanID).sort()).toEqual(good.map((s) => s.spanId).sort());
      }),
      settings(100),
    );
  });

  /** Span ids stored for a trace, by the query API. */
  async function storedIds(traceId: string): Promise<string[]> {
    const res = await SELF.fetch(`${BASE}/api/traces/${traceId}`);
    const body = (await res.json()) as { data: { spans: { spanID: string }[] }[] };
    return body.data[0]?.spans.map((s) => s.spanID) ?? [];
  }

  it('protobuf: keeps every untouched span when one span of the batch is mutated, and counts at most that one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 3 }), fc.boolean(), fc.array(byteMutation, { minLength: 1, maxLength: 4 }), async (victimIndex, victimFirst, mutations) => {
        const { traceId, spans } = recordProfileRequest();
        const victim = spans[victimIndex]!;
        const good = spans.filter((s) => s !== victim);
        // The victim travels as a resourceSpans of its own, framed anew around its mutated bytes:
        // the mutation stays inside that one span message, as a broken span from a client would.
        const victimBytes = fieldOf(fieldOf(fieldOf(toProtobuf([victim]), 1), 2), 2);
        const broken = field(1, field(2, field(2, mutateBytes(victimBytes, mutations))));
        const body = victimFirst ? concat(broken, toProtobuf(good)) : concat(toProtobuf(good), broken);
        const res = await post('/v1/traces', body, 'application/x-protobuf');
        const answer = new Uint8Array(await res.arrayBuffer());
        expect(res.status, new TextDecoder().decode(answer)).toBe(200);
        const partial = ProtobufTraceSerializer.deserializeResponse(answer).partialSuccess;
        const rejected = Number(partial?.rejectedSpans ?? 0);
        expect(rejected, partial?.errorMessage).toBeLessThanOrEqual(1);
        if (rejected) {
          const brokenAt = victimFirst ? 0 : new Set(good.map((s) => s.resource)).size;
          expect(partial!.errorMessage).toMatch(new RegExp(`^resourceSpans\\[${brokenAt}\\]\\.scopeSpans\\[0\\]\\.spans\\[0\\]`));
        }
        seen.set('mutated protobuf span', (seen.get('mutated protobuf span') ?? new Set()).add(rejected));
        expect(await storedIds(traceId)).toEqual(expect.arrayContaining(good.map((s) => s.spanContext().spanId)));
      }),
      settings(80),
    );
    // both ways out were taken: the mutated span refused, and (a harmless mutation) kept
    expect([...seen.get('mutated protobuf span')!].sort()).toEqual([0, 1]);
  });

  it('Zipkin: keeps every valid span beside mutated ones, and counts them in its answer', async () => {
    const nowUs = Date.now() * 1_000;
    const template = {
      traceId: 'e'.repeat(32),
      parentId: 'b'.repeat(16),
      id: 'f'.repeat(16),
      name: 'query',
      kind: 'CLIENT',
      timestamp: nowUs,
      duration: 900,
      localEndpoint: { serviceName: 'web', ipv4: '10.0.0.1' },
      remoteEndpoint: { serviceName: 'db', port: 5432 },
      tags: { 'db.system': 'postgresql' },
      annotations: [{ timestamp: nowUs + 10, value: 'sent' }],
    };
    // nesting the JSON limit lets through: past it the whole body is refused, as it should be
    const victims = fc.array(fc.tuple(jsonMutations(template, hostileValues(12)), fc.nat()), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), victims, async (goodCount, broken) => {
        const traceId = randomHex(16);
        const good = Array.from({ length: goodCount }, (_, i) => ({
          traceId,
          id: randomHex(8),
          name: `op ${i}`,
          kind: 'SERVER',
          timestamp: nowUs + i,
          duration: 100,
          localEndpoint: { serviceName: 'web' },
          tags: { 'http.method': 'GET' },
          annotations: [{ timestamp: nowUs + i, value: 'wr' }],
        }));
        const body: unknown[] = [...good];
        for (const [victim, at] of broken) body.splice(at % (body.length + 1), 0, victim);
        const res = await post('/api/v2/spans', JSON.stringify(body), 'application/json');
        const text = await res.text();
        expect(res.status, text).toBe(202);
        const answer = (text ? JSON.parse(text) : { accepted: body.length, rejected: 0, errors: [] }) as { accepted: number; rejected: number; errors: string[] };
        expect(answer.accepted + answer.rejected, text).toBe(body.length);
        expect(answer.rejected, text).toBeLessThanOrEqual(broken.length);
        const goodAt = good.map((g) => body.indexOf(g));
        for (const e of answer.errors) expect(goodAt, e).not.toContain(Number(/^\[(\d+)\]/.exec(e)![1]));
        seen.set('mutated Zipkin span', (seen.get('mutated Zipkin span') ?? new Set()).add(answer.rejected === 0 ? 0 : 1));
        expect(await storedIds(traceId)).toEqual(expect.arrayContaining(good.map((g) => g.id)));
      }),
      settings(80),
    );
    expect([...seen.get('mutated Zipkin span')!].sort()).toEqual([0, 1]);
  });
});
