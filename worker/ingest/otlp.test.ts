/**
 * The OTLP decoders against what the real OpenTelemetry JS SDK serialises (its own protobuf and JSON
 * serializers), and against broken and hostile input: each refusal names the span and the field, or
 * the request-wide limit that refused the whole body.
 */
import { SpanKind as ApiKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DecodeError } from './decode-error';
import { defaultIngestLimits } from './limits';
import { decodeOtlpJson } from './otlp-json';
import { decodeOtlpProtobuf } from './otlp-protobuf';
import { encodeExportResponse, encodeStatus } from './otlp-response';
import { MAX_GROUP_DEPTH } from './protobuf-reader';
import { checkJsonShape, defaultJsonLimits, parseJsonBody } from './read-body';
import { concat, field, fixed64, utf8 } from './test-protobuf';
import { ApiError } from '../http-error';
import { encodeOtlpJson } from '../query/otlp-encode';
import type { AnyValue, KeyValue, Span } from '../span/model';

function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'box-1', 'service.instance.id': 'i-1' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('checkout-lib', '2.1.0');
  const root = tracer.startSpan('POST /cart', {
    kind: ApiKind.SERVER,
    attributes: {
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'app.ratio': 0.5,
      'app.ok': true,
      'app.list': ['a', 'b'],
      'app.nums': [1, 2, 3],
      'app.big': -9007199254740991,
    },
  });
  const child = tracer.startSpan('charge card', { kind: ApiKind.CLIENT }, trace.setSpan(context.active(), root));
  child.addEvent('retry', { attempt: 2 });
  child.addLink({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }, attributes: { why: 'batch' } });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  const [first, second] = exporter.getFinishedSpans() as [ReadableSpan, ReadableSpan];
  // The SDK's span API takes primitives and arrays only, while its serializer also writes maps and
  // bytes (as other SDKs send them): hand the serializer a finished span that carries both.
  const withMapAndBytes = Object.assign(Object.create(Object.getPrototypeOf(second)), second, {
    attributes: { ...second.attributes, 'app.map': { inner: 'x', n: 7 }, 'app.bytes': new Uint8Array([0, 1, 254, 255]) },
  }) as ReadableSpan;
  return [first, withMapAndBytes];
}

const toProtobuf = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!;
const toJson = (spans: ReadableSpan[]) => JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));

const byName = (spans: Span[]) => Object.fromEntries(spans.map((s) => [s.name, s]));

describe('OTLP decoders with the real SDK serializers', () => {
  const recorded = recordSpans();
  const fromProto = decodeOtlpProtobuf(toProtobuf(recorded));
  const fromJson = decodeOtlpJson(toJson(recorded));

  it('protobuf and JSON decode to the same spans, none refused', () => {
    expect(fromProto.rejected).toEqual([]);
    expect(fromJson.rejected).toEqual([]);
    expect(fromProto.spans).toHaveLength(2);
    expect(fromJson.spans).toEqual(fromProto.spans);
  });

  it('keeps ids, parent, kind, times, status, resource and scope', () => {
    const { 'POST /cart': root, 'charge card': child } = byName(fromProto.spans);
    const sdkRoot = recorded.find((s) => s.name === 'POST /cart')!;
    expect(root!.traceId).toBe(sdkRoot.spanContext().traceId);
    expect(root!.spanId).toBe(sdkRoot.spanContext().spanId);
    expect(root!.parentSpanId).toBeUndefined();
    expect(child!.parentSpanId).toBe(root!.spanId);
    expect(root!.kind).toBe(2);
    expect(child!.kind).toBe(3);
    const [s, ns] = sdkRoot.startTime;
    expect(root!.startTimeUnixNano).toBe((BigInt(s) * 1_000_000_000n + BigInt(ns)).toString());
    expect(BigInt(root!.endTimeUnixNano) >= BigInt(root!.startTimeUnixNano)).toBe(true);
    expect(root!.status).toEqual({ code: 1 });
    expect(child!.status).toEqual({ code: 2, message: 'card declined' });
    expect(root!.service).toBe('checkout');
    expect(root!.resource.attributes).toContainEqual({ key: 'host.name', value: { stringValue: 'box-1' } });
    expect(root!.scope).toEqual({ name: 'checkout-lib', version: '2.1.0' });
  });

  it('keeps every attribute value type', () => {
    const attrs = Object.fromEntries(fromProto.spans.flatMap((s) => s.attributes).map((a) => [a.key, a.value]));
    expect(attrs['http.request.method']).toEqual({ stringValue: 'POST' });
    expect(attrs['http.response.status_code']).toEqual({ intValue: '201' });
    expect(attrs['app.ratio']).toEqual({ doubleValue: 0.5 });
    expect(attrs['app.ok']).toEqual({ boolValue: true });
    expect(attrs['app.list']).toEqual({ arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } });
    expect(attrs['app.nums']).toEqual({ arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }, { intValue: '3' }] } });
    expect(attrs['app.map']).toEqual({
      kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'x' } }, { key: 'n', value: { intValue: '7' } }] },
    });
    expect(attrs['app.bytes']).toEqual({ bytesValue: btoa(String.fromCharCode(0, 1, 254, 255)) });
    expect(attrs['app.big']).toEqual({ intValue: '-9007199254740991' });
  });

  it('keeps events and links', () => {
    const child = byName(fromProto.spans)['charge card']!;
    expect(child.events).toHaveLength(1);
    expect(child.events[0]).toMatchObject({ name: 'retry', attributes: [{ key: 'attempt', value: { intValue: '2' } }] });
    expect(child.links).toEqual([
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: [{ key: 'why', value: { stringValue: 'batch' } }], flags: expect.any(Number) },
    ]);
  });

  it('OTLP JSON output decodes back to the same spans', () => {
    const again = decodeOtlpJson(JSON.parse(JSON.stringify(encodeOtlpJson(fromProto.spans))));
    expect(again.rejected).toEqual([]);
    expect(again.spans).toEqual(fromProto.spans);
  });
});

describe('protobuf: what the wire says survives the decoder fast paths', () => {
  /** Spans from the real SDK, one per entry of `attributes`, named after their index. */
  function spansWith(attributes: Record<string, string | number | boolean>[]): ReadableSpan[] {
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'søk' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer('lib');
    attributes.forEach((a, i) => tracer.startSpan(`span ${i}`, { attributes: a }).end());
    return exporter.getFinishedSpans() as ReadableSpan[];
  }

  it('many distinct keys and values, short and long, ASCII or not, decode as the JSON path does, twice over', () => {
    const words = ['a', 'http.request.method', 'ü', '😀', 'x'.repeat(13), 'y'.repeat(33), '/users/', '中文'];
    const spans = spansWith(
      Array.from({ length: 200 }, (_, i) =>
        Object.fromEntries(Array.from({ length: 12 }, (_, j) => [`${words[(i + j) % 8]}${i * 12 + j}`, `${words[(i * 7 + j) % 8]}${(i * j) % 97}`])),
      ),
    );
    const bytes = toProtobuf(spans);
    const fromJson = decodeOtlpJson(toJson(spans));
    expect(fromJson.rejected).toEqual([]);
    // the second decode reads strings and ids from the caches the first one filled
    for (let pass = 0; pass < 2; pass++) {
      const fromProto = decodeOtlpProtobuf(bytes);
      expect(fromProto.rejected).toEqual([]);
      expect(fromProto.spans).toEqual(fromJson.spans);
    }
  });

  it('invalid UTF-8 refuses its span only, at any string length, after the valid bytes were decoded', () => {
    const spans = spansWith([{ v: 'é' }, { v: 'ok' }, { v: `${'x'.repeat(12)}é` }, { v: `${'x'.repeat(40)}é` }]);
    const bytes = toProtobuf(spans);
    expect(decodeOtlpProtobuf(bytes).spans).toHaveLength(4);
    const broken = Uint8Array.from(bytes);
    for (let i = 0; i + 1 < broken.length; i++) if (broken[i] === 0xc3 && broken[i + 1] === 0xa9) broken[i + 1] = 0x28;
    const out = decodeOtlpProtobuf(broken);
    expect(out.spans.map((s) => s.name)).toEqual(['span 1']);
    const at = 'resourceSpans[0].scopeSpans[0].spans';
    expect(out.rejected.map((r) => r.path)).toEqual([`${at}[0]`, `${at}[2]`, `${at}[3]`]);
    for (const r of out.rejected) expect(r.message).toMatch(/^malformed protobuf: invalid UTF-8 in a string at byte \d+$/);
  });

  it('times keep every digit, before 2001, today and past 2286', () => {
    const [base] = spansWith([{}]) as [ReadableSpan];
    const times: [start: [number, number], end: [number, number]][] = [
      [[999_999_999, 999_999_999], [1_000_000_000, 0]],
      [[1_764_000_000, 1], [1_764_000_000, 100_000]],
      [[10_000_000_000, 5], [18_446_744_073, 709_551_615]],
    ];
    const spans = times.map(([startTime, endTime]) =>
      Object.assign(Object.create(Object.getPrototypeOf(base)), base, { startTime, endTime, events: [{ name: 'e', time: endTime, attributes: {} }] }),
    );
    const out = decodeOtlpProtobuf(toProtobuf(spans), { nowNanos: 2n ** 64n });
    const ns = ([s, n]: [number, number]) => (BigInt(s) * 1_000_000_000n + BigInt(n)).toString();
    expect(out.rejected).toEqual([]);
    expect(out.spans.map((s) => [s.startTimeUnixNano, s.endTimeUnixNano, s.events[0]!.timeUnixNano])).toEqual(
      times.map(([start, end]) => [ns(start), ns(end), ns(end)]),
    );
  });
});

describe('refusals name the span and the field, and keep the rest', () => {
  const good = (spanId: string, extra: Record<string, unknown> = {}) => ({
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId,
    name: 'op',
    kind: 2,
    startTimeUnixNano: '1764000000000000000',
    endTimeUnixNano: '1764000000100000000',
    ...extra,
  });
  const request = (spans: unknown[]) => ({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] }],
  });

  it('JSON: bad ids, times, types and enums each refuse one span', () => {
    const out = decodeOtlpJson(
      request([
        good('0000000000000001'),
        good('0000000000000002', { traceId: '00000000000000000000000000000000' }),
        good('xyz'),
        good('0000000000000004', { endTimeUnixNano: '1763999999000000000' }),
        good('0000000000000005', { startTimeUnixNano: '12' }),
        good('0000000000000006', { name: 42 }),
        good('0000000000000007', { kind: 'SPAN_KIND_SIDEWAYS' }),
        good('0000000000000008', { attributes: [{ key: 'a', value: { intValue: 'twelve' } }] }),
        good('0000000000000009', { kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR', message: 'boom' } }),
      ]),
    );
    expect(out.spans.map((s) => s.spanId)).toEqual(['0000000000000001', '0000000000000009']);
    expect(out.spans[1]).toMatchObject({ kind: 3, status: { code: 2, message: 'boom' } });
    const at = 'resourceSpans[0].scopeSpans[0].spans';
    expect(out.rejected).toEqual([
      { path: `${at}[1].traceId`, message: 'must not be all zero' },
      { path: `${at}[2].spanId`, message: expect.stringContaining('16 hex characters') },
      { path: `${at}[3].endTimeUnixNano`, message: expect.stringContaining('before startTimeUnixNano') },
      { path: `${at}[4].startTimeUnixNano`, message: expect.stringContaining('before 2000-01-01') },
      { path: `${at}[5].name`, message: expect.stringContaining('must be a string') },
      { path: `${at}[6].kind`, message: expect.stringContaining('SPAN_KIND_SERVER') },
      { path: `${at}[7].attributes[0].value.intValue`, message: expect.stringContaining('64-bit integer') },
    ]);
  });

  it('JSON: unknown fields are ignored and reported as warnings', () => {
    const out = decodeOtlpJson(request([good('0000000000000001', { colour: 'blue' })]));
    expect(out.spans).toHaveLength(1);
    expect(out.warnings).toEqual(['resourceSpans[0].scopeSpans[0].spans[0].colour: unknown field ignored']);
  });

  it('JSON: a broken resource refuses its spans only', () => {
    const out = decodeOtlpJson({
      resourceSpans: [
        { resource: { attributes: 'nope' }, scopeSpans: [{ spans: [good('0000000000000001'), good('0000000000000002')] }] },
        request([good('0000000000000003')]).resourceSpans[0],
      ],
    });
    expect(out.spans.map((s) => s.spanId)).toEqual(['0000000000000003']);
    expect(out.rejected).toHaveLength(2);
    expect(out.rejected[0]!.path).toBe('resourceSpans[0].resource.attributes');
  });

  it('limits: attributes, nesting and spans per request', () => {
    const attrs = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v' } }));
    let deep: unknown = { stringValue: 'x' };
    for (let i = 0; i < 4; i++) deep = { arrayValue: { values: [deep] } };
    const out = decodeOtlpJson(
      request([good('0000000000000001', { attributes: attrs }), good('0000000000000002', { attributes: [{ key: 'd', value: deep }] }), good('0000000000000003')]),
      { limits: { maxAttributes: 4, maxValueDepth: 3 } },
    );
    expect(out.spans.map((s) => s.spanId)).toEqual(['0000000000000003']);
    expect(out.rejected[0]).toEqual({ path: 'resourceSpans[0].scopeSpans[0].spans[0].attributes', message: 'has 5 entries; the limit is 4' });
    expect(out.rejected[1]!.message).toContain('nests deeper than the limit of 3');
    const tooMany = () => decodeOtlpJson(request([good('0000000000000001'), good('0000000000000002')]), { limits: { maxSpansPerRequest: 1 } });
    expect(tooMany).toThrow(DecodeError);
    expect(tooMany).toThrow(/limit is 1/);
  });

  it('JSON: a body that is not a request is refused whole', () => {
    expect(() => decodeOtlpJson([])).toThrow(/JSON object/);
    expect(() => decodeOtlpJson({ resourceSpans: 3 })).toThrow(/resourceSpans: must be an array/);
    expect(decodeOtlpJson({})).toEqual({ spans: [], rejected: [] });
  });

  it('protobuf: a truncated body is refused whole, a bad span alone', () => {
    const recorded = recordSpans();
    const bytes = toProtobuf(recorded);
    expect(() => decodeOtlpProtobuf(bytes.subarray(0, bytes.length - 3))).toThrow(DecodeError);
    // A span the real serializer writes with an all-zero span id and one that ends before it starts.
    const [a, b] = recorded as [ReadableSpan, ReadableSpan];
    const zeroId = Object.assign(Object.create(Object.getPrototypeOf(a)), a, {
      spanContext: () => ({ ...a.spanContext(), spanId: '0000000000000000' }),
    });
    const backwards = Object.assign(Object.create(Object.getPrototypeOf(b)), b, { endTime: [b.startTime[0] - 1, 0] });
    const out = decodeOtlpProtobuf(toProtobuf([zeroId, backwards, a]));
    expect(out.spans.map((s) => s.name)).toEqual([a.name]);
    expect(out.rejected.map((r) => r.path)).toEqual([
      'resourceSpans[0].scopeSpans[0].spans[0].spanId',
      'resourceSpans[0].scopeSpans[0].spans[1].endTimeUnixNano',
    ]);
  });

  it('protobuf: random bytes never throw anything but DecodeError', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 2000; n++) {
      const buf = Uint8Array.from({ length: 1 + (n % 97) }, rand);
      try {
        decodeOtlpProtobuf(buf);
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
      }
    }
  });
});

describe('OTLP responses', () => {
  it('protobuf partial success reads back with the SDK deserializer', () => {
    const body = encodeExportResponse(3, 'spans[1].traceId: must not be all zero', 'protobuf') as Uint8Array;
    const decoded = ProtobufTraceSerializer.deserializeResponse(body);
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(3);
    expect(decoded.partialSuccess?.errorMessage).toBe('spans[1].traceId: must not be all zero');
    expect(encodeExportResponse(0, '', 'protobuf')).toHaveLength(0);
  });

  it('JSON partial success and status', () => {
    expect(JSON.parse(encodeExportResponse(2, 'x', 'json') as string)).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'x' } });
    expect(encodeExportResponse(0, '', 'json')).toBe('{}');
    expect(JSON.parse(encodeStatus(3, 'bad', 'json') as string)).toEqual({ code: 3, message: 'bad' });
    expect(Array.from(encodeStatus(3, 'ab', 'protobuf') as Uint8Array)).toEqual([0x08, 3, 0x12, 2, 0x61, 0x62]);
  });
});


/** A span message of `attributes` empty-valued attributes keyed "k", ending `endNs`. */
function rawSpan(attributes: number, startNs = BigInt(Date.now()) * 1_000_000n, endNs = startNs + 1_000n): Uint8Array {
  const id = crypto.getRandomValues(new Uint8Array(24));
  const attribute = field(9, concat(field(1, utf8('k')), field(2, [])));
  return concat(
    field(1, id.subarray(0, 16)),
    field(2, id.subarray(16)),
    field(5, utf8('op')),
    fixed64(7, startNs),
    fixed64(8, endNs),
    ...new Array<Uint8Array>(attributes).fill(attribute),
  );
}
/** An ExportTraceServiceRequest of one resource and one scope holding `spans`. */
const rawRequest = (spans: Uint8Array[]) => field(1, field(2, concat(...spans.map((s) => field(2, s)))));

/** Attributes, events, links and array/kvlist values of decoded spans, resource and scope once each. */
function itemsOf(spans: Span[]): number {
  const inValue = (v: AnyValue): number =>
    'arrayValue' in v ? v.arrayValue.values.reduce((n, x) => n + 1 + inValue(x), 0) : 'kvlistValue' in v ? inList(v.kvlistValue.values) : 0;
  const inList = (list: KeyValue[] = []) => list.reduce((n, kv) => n + 1 + inValue(kv.value), 0);
  const seen = new Set<object>();
  let n = 0;
  for (const s of spans) {
    for (const shared of [s.resource, s.scope])
      if (shared && !seen.has(shared)) {
        seen.add(shared);
        n += inList(shared.attributes);
      }
    n += inList(s.attributes) + s.events.length + s.links.length;
    for (const x of [...s.events, ...s.links]) n += inList(x.attributes);
  }
  return n;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

describe('hostile protobuf', () => {
  it('a chain of START_GROUP tags is refused with 400 naming the byte, not a stack overflow', () => {
    // in the body itself, and inside a resourceSpans field
    for (const bytes of [new Uint8Array(100_000).fill(0x0b), field(1, new Uint8Array(100_000).fill(0x1b))]) {
      const err = thrown(() => decodeOtlpProtobuf(bytes));
      expect(err).toBeInstanceOf(DecodeError);
      expect(err).toMatchObject({ status: 400, message: expect.stringMatching(new RegExp(`groups nested deeper than ${MAX_GROUP_DEPTH} levels at byte \\d+`)) });
    }
  });

  it('a chain of START_GROUP tags inside one span refuses that span only', () => {
    const recorded = recordSpans();
    const body = concat(toProtobuf(recorded), rawRequest([concat(rawSpan(1), new Uint8Array(50_000).fill(0x0b))]));
    const out = decodeOtlpProtobuf(body);
    expect(out.spans.map((s) => s.name).sort()).toEqual(recorded.map((s) => s.name).sort());
    // the chain is the body's last 50,000 bytes: its first tag opens the group, the 33rd nests too deep
    const at = body.length - 50_000 + MAX_GROUP_DEPTH;
    expect(out.rejected).toEqual([
      { path: 'resourceSpans[1].scopeSpans[0].spans[0]', message: `malformed protobuf: groups nested deeper than ${MAX_GROUP_DEPTH} levels at byte ${at}` },
    ]);
  });
});

describe('the per-request item budget', () => {
  const L = defaultIngestLimits;

  it('counts attributes, events, links and array/kvlist values across the request, protobuf and JSON alike', () => {
    const recorded = recordSpans();
    const n = itemsOf(decodeOtlpProtobuf(toProtobuf(recorded)).spans);
    // the fixture has each kind: resource and span attributes, an event and a link with attributes, arrays, a map
    expect(n).toBeGreaterThan(20);
    for (const decode of [(o: object) => decodeOtlpProtobuf(toProtobuf(recorded), o), (o: object) => decodeOtlpJson(toJson(recorded), o)]) {
      expect(decode({ limits: { maxItemsPerRequest: n } }).spans).toHaveLength(2);
      const err = thrown(() => decode({ limits: { maxItemsPerRequest: n - 1 } }));
      expect(err).toBeInstanceOf(DecodeError);
      expect(err).toMatchObject({ status: 413, message: expect.stringContaining(`limit is ${n - 1}`) });
    }
  });

  it(`refuses 1,100 spans of 1,000 empty attributes (7.4 MB of protobuf) with 413 naming the limit of ${L.maxItemsPerRequest}`, () => {
    const bytes = rawRequest(Array.from({ length: 1_100 }, () => rawSpan(1_000)));
    expect(bytes.length).toBeGreaterThan(7_000_000);
    const err = thrown(() => decodeOtlpProtobuf(bytes));
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({
      status: 413,
      message: `the request holds more than ${L.maxItemsPerRequest} attributes, events, links and array/kvlist values; the limit is ${L.maxItemsPerRequest} a request: send smaller batches`,
    });
  });

  it('refuses the same in OTLP JSON (201 spans of 1,000), while a full SDK batch of 512 spans x 128 attributes fits', () => {
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const request = (spans: number, attributes: number, value: AnyValue) => ({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: Array.from({ length: spans }, (_, i) => ({
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: (i + 1).toString(16).padStart(16, '0'),
                startTimeUnixNano: now,
                endTimeUnixNano: now,
                attributes: Array.from({ length: attributes }, (_, k) => ({ key: `app.attribute.${k}`, value })),
              })),
            },
          ],
        },
      ],
    });
    expect(() => decodeOtlpJson(request(201, 1_000, {}))).toThrow(`limit is ${L.maxItemsPerRequest}`);
    const full = decodeOtlpJson(request(512, 128, { stringValue: 'v'.repeat(100) }));
    expect(full.rejected).toEqual([]);
    expect(full.spans).toHaveLength(512);
  });
});

describe('times out of bounds refuse their span, by field and index', () => {
  const MAX_U64 = 2n ** 64n - 1n;

  it('protobuf: an end or an event time of 0 or 2^64-1', () => {
    const [base] = recordSpans() as [ReadableSpan, ReadableSpan];
    const at = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
    const variant = (changes: Partial<Record<'endTime' | 'events', unknown>>) => Object.assign(Object.create(Object.getPrototypeOf(base)), base, changes);
    const event = (ns: bigint) => [{ name: 'e', time: at(ns), attributes: {} }];
    const out = decodeOtlpProtobuf(
      toProtobuf([base, variant({ endTime: at(MAX_U64) }), variant({ events: event(0n) }), variant({ events: [...base.events, ...event(MAX_U64)] })]),
    );
    expect(out.spans).toHaveLength(1);
    const path = 'resourceSpans[0].scopeSpans[0].spans';
    expect(out.rejected).toEqual([
      { path: `${path}[1].endTimeUnixNano`, message: `${MAX_U64} is more than ${defaultIngestLimits.maxFutureSeconds} s ahead of the server's clock` },
      { path: `${path}[2].events[0].timeUnixNano`, message: expect.stringContaining('0 is before 2000-01-01') },
      { path: `${path}[3].events[${base.events.length}].timeUnixNano`, message: expect.stringContaining(`${MAX_U64} is more than`) },
    ]);
  });

  it('JSON: an end or an event time of 0, missing or 2^64-1', () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string, extra: Record<string, unknown> = {}) => ({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1_000n),
      events: [{ timeUnixNano: String(now), name: 'ok' }],
      ...extra,
    });
    const out = decodeOtlpJson({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                span('0000000000000001'),
                span('0000000000000002', { endTimeUnixNano: String(MAX_U64) }),
                span('0000000000000003', { events: [{ timeUnixNano: String(now), name: 'ok' }, { timeUnixNano: '0', name: 'zero' }] }),
                span('0000000000000004', { events: [{ name: 'no time' }] }),
                span('0000000000000005', { events: [{ timeUnixNano: String(MAX_U64), name: 'late' }] }),
              ],
            },
          ],
        },
      ],
    });
    expect(out.spans.map((s) => s.spanId)).toEqual(['0000000000000001']);
    const path = 'resourceSpans[0].scopeSpans[0].spans';
    expect(out.rejected.map((r) => r.path)).toEqual([
      `${path}[1].endTimeUnixNano`,
      `${path}[2].events[1].timeUnixNano`,
      `${path}[3].events[0].timeUnixNano`,
      `${path}[4].events[0].timeUnixNano`,
    ]);
    expect(out.rejected[0]!.message).toMatch(/ahead of the server's clock/);
    expect(out.rejected[1]!.message).toMatch(/before 2000-01-01/);
  });
});

describe('JSON bodies are bounded before JSON.parse', () => {
  const J = defaultJsonLimits;
  const bytes = (s: string) => new TextEncoder().encode(s);

  it(`refuses nesting past ${J.maxDepth} with 400 naming the limit and the byte, before parsing`, () => {
    const err = thrown(() => parseJsonBody(bytes('['.repeat(100_000) + ']'.repeat(100_000))));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, message: `JSON body nests arrays and objects deeper than the limit of ${J.maxDepth} (at byte ${J.maxDepth})` });
    expect(parseJsonBody(bytes('['.repeat(J.maxDepth) + ']'.repeat(J.maxDepth)))).toBeInstanceOf(Array);
    expect(() => checkJsonShape(bytes(`{"a":${'{"b":'.repeat(J.maxDepth)}1${'}'.repeat(J.maxDepth + 1)}`))).toThrow(/deeper than the limit/);
  });

  it(`refuses more than ${J.maxValues} values with 413 naming the limit`, () => {
    const err = thrown(() => parseJsonBody(bytes(`[${'0,'.repeat(J.maxValues)}0]`)));
    expect(err).toMatchObject({ status: 413, message: `JSON body holds more than ${J.maxValues} values; the limit is ${J.maxValues} a request: send smaller batches` });
    expect(() => checkJsonShape(bytes('[{},{}]'), { maxDepth: 2, maxValues: 4 })).not.toThrow();
    expect(() => checkJsonShape(bytes('[{},{},{}]'), { maxDepth: 2, maxValues: 4 })).toThrow(/more than 4 values/);
  });

  it('does not count brackets and commas inside strings, whatever their escapes and characters', () => {
    const tricky = ['['.repeat(100), '\\', '"[[[', '\\"', 'é中😀[{', ',,,'.repeat(J.maxValues)];
    const body = JSON.stringify({ key: tricky, [`${'['.repeat(200)}\\`]: { '"{': tricky.join('') } });
    expect(parseJsonBody(bytes(body))).toEqual(JSON.parse(body));
    // an escaped backslash ends right before the closing quote: what follows is structure again
    expect(() => checkJsonShape(bytes(`["\\\\",${'['.repeat(J.maxDepth)}${']'.repeat(J.maxDepth)}]`))).toThrow(/deeper than the limit/);
  });

  it('leaves invalid JSON to JSON.parse: 400', () => {
    for (const body of ['{"a":', '"unterminated [[[', '', ']]]]']) expect(thrown(() => parseJsonBody(bytes(body)))).toMatchObject({ status: 400, message: expect.stringContaining('body is not valid JSON') });
  });

  it('lets through the deepest request the decoder accepts: kvlist values down to the value depth limit, in a link attribute', () => {
    let value: unknown = { stringValue: 'leaf' };
    for (let d = 1; d < defaultIngestLimits.maxValueDepth; d++) value = { kvlistValue: { values: [{ key: `d${d}`, value }] } };
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: '0000000000000001',
                  startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  links: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: '0000000000000002', attributes: [{ key: 'deep', value }] }],
                },
              ],
            },
          ],
        },
      ],
    });
    const out = decodeOtlpJson(parseJsonBody(bytes(body)));
    expect(out.rejected).toEqual([]);
    expect(out.spans).toHaveLength(1);
  });
});
