/**
 * The OTLP decoders against what the real OpenTelemetry JS SDK serialises (its own protobuf and JSON
 * serializers), and against broken input: each refusal names the span and the field.
 */
import { SpanKind as ApiKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DecodeError } from './decode-error';
import { decodeOtlpJson } from './otlp-json';
import { decodeOtlpProtobuf } from './otlp-protobuf';
import { encodeExportResponse, encodeStatus } from './otlp-response';
import { encodeOtlpJson } from '../query/otlp-encode';
import type { Span } from '../span/model';

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
