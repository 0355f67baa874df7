/**
 * The Zipkin v2 decoder against what the real Zipkin JS client records and encodes (its tracer,
 * batch recorder and JSON_V2 encoder), and against broken and hostile input.
 */
import { BatchRecorder, ExplicitContext, Tracer, jsonEncoder, model } from 'zipkin';
import { describe, expect, it } from 'vitest';
import { DecodeError } from './decode-error';
import { decodeZipkin, sharedServerId } from './zipkin';
import type { Span, SpanId } from '../span/model';

function recordWithZipkin(): unknown[] {
  const encoded: string[] = [];
  const recorder = new BatchRecorder({ logger: { logSpan: (span: model.Span) => encoded.push(jsonEncoder.JSON_V2.encode(span)) } });
  const tracer = new Tracer({ ctxImpl: new ExplicitContext(), recorder, localServiceName: 'frontend', traceId128Bit: true });
  tracer.local('render page', () => {
    tracer.recordBinary('page', 'home');
    tracer.local('load user', () => {
      tracer.recordMessage('cache miss');
      tracer.recordBinary('error', 'user store timed out');
    });
  });
  return encoded.map((e) => JSON.parse(e));
}

const attr = (s: Span, key: string) => s.attributes.find((a) => a.key === key)?.value;

describe('Zipkin v2 decoder', () => {
  it('decodes what the real Zipkin JS client encodes', () => {
    const zipkinSpans = recordWithZipkin() as { traceId: string; timestamp: number; duration: number }[];
    const out = decodeZipkin(zipkinSpans);
    expect(out.rejected).toEqual([]);
    const byName = Object.fromEntries(out.spans.map((s) => [s.name, s]));
    const page = byName['render page']!;
    const user = byName['load user']!;
    expect(page.traceId).toBe(zipkinSpans[0]!.traceId);
    expect(page.service).toBe('frontend');
    expect(page.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'frontend' } }]);
    expect(attr(page, 'page')).toEqual({ stringValue: 'home' });
    expect(user.parentSpanId).toBe(page.spanId);
    expect(user.events.map((e) => e.name)).toContain('cache miss');
    expect(user.status).toEqual({ code: 2, message: 'user store timed out' });
    expect(attr(user, 'error')).toBeUndefined();
    const z = zipkinSpans.find((s) => s.traceId === page.traceId && (s as { name?: string }).name === 'render page')!;
    expect(page.startTimeUnixNano).toBe(String(BigInt(z.timestamp) * 1000n));
    expect(BigInt(page.endTimeUnixNano) - BigInt(page.startTimeUnixNano)).toBe(BigInt(z.duration) * 1000n);
  });

  it('maps 64-bit ids, kinds, endpoints, OpenTelemetry status tags and shared server spans', () => {
    const out = decodeZipkin([
      {
        traceId: '463AC35C9F6413AD',
        id: '72485A3953BB6124',
        kind: 'CLIENT',
        name: 'get /users',
        timestamp: 1_764_000_000_000_000,
        duration: 1500,
        localEndpoint: { serviceName: 'gateway', ipv4: '10.0.0.1' },
        remoteEndpoint: { serviceName: 'users', ipv4: '10.0.0.2', port: 8080 },
        tags: { 'otel.status_code': 'ERROR', 'otel.status_description': 'refused', 'http.path': '/users' },
      },
      {
        traceId: '463ac35c9f6413ad',
        id: '72485a3953bb6124',
        kind: 'SERVER',
        shared: true,
        name: 'get /users',
        timestamp: 1_764_000_000_000_200,
        duration: 1000,
        localEndpoint: { serviceName: 'users' },
      },
    ]);
    expect(out.rejected).toEqual([]);
    const [client, server] = out.spans as [Span, Span];
    expect(client.traceId).toBe('0000000000000000463ac35c9f6413ad');
    expect(client.kind).toBe(3);
    expect(client.status).toEqual({ code: 2, message: 'refused' });
    expect(client.attributes).toEqual([
      { key: 'network.local.address', value: { stringValue: '10.0.0.1' } },
      { key: 'network.peer.address', value: { stringValue: '10.0.0.2' } },
      { key: 'network.peer.port', value: { intValue: '8080' } },
      { key: 'peer.service', value: { stringValue: 'users' } },
      { key: 'http.path', value: { stringValue: '/users' } },
    ]);
    // The local address names the host: clock-skew groups and registry instances tell hosts apart.
    expect(client.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'gateway' } },
      { key: 'host.ip', value: { stringValue: '10.0.0.1' } },
    ]);
    expect(server.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'users' } }]);
    expect(server.kind).toBe(2);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.spanId).toBe(sharedServerId(client.spanId as SpanId));
    expect(server.spanId).not.toBe(client.spanId);
  });

  it('refuses broken spans with their index and field, keeps the rest', () => {
    const ok = { traceId: '463ac35c9f6413ad', id: '0000000000000001', timestamp: 1_764_000_000_000_000, localEndpoint: { serviceName: 's' } };
    const out = decodeZipkin([
      ok,
      { ...ok, id: '0000000000000000' },
      { ...ok, timestamp: undefined },
      { ...ok, kind: 'SIDEWAYS' },
      { ...ok, tags: { 'http.status_code': 500 } },
      { ...ok, traceId: 'abc' },
      'not a span',
    ]);
    expect(out.spans).toHaveLength(1);
    expect(out.rejected.map((r) => r.path)).toEqual(['[1].id', '[2].timestamp', '[3].kind', '[4].tags.http.status_code', '[5].traceId', '[6]']);
    expect(out.rejected[1]!.message).toContain('is missing');
    expect(() => decodeZipkin({ spans: [] })).toThrow(DecodeError);
  });
});

describe('Zipkin v2 decoder and hostile input', () => {
  const nowUs = Date.now() * 1_000;
  const ok = { traceId: '463ac35c9f6413ad', id: '0000000000000001', timestamp: nowUs, duration: 10, localEndpoint: { serviceName: 's', ipv4: '10.0.0.1' } };

  it('refuses a duration or an annotation out of bounds, naming the Zipkin field and the span index', () => {
    const out = decodeZipkin([
      ok,
      { ...ok, id: '0000000000000002', duration: 2 ** 60 },
      { ...ok, id: '0000000000000003', annotations: [{ timestamp: nowUs, value: 'ok' }, { timestamp: 0, value: 'zero' }] },
      { ...ok, id: '0000000000000004', annotations: [{ timestamp: 2 ** 60, value: 'late' }] },
      { ...ok, id: '0000000000000005', timestamp: 1e20 },
    ]);
    expect(out.spans.map((s) => s.spanId)).toEqual(['0000000000000001']);
    expect(out.rejected).toEqual([
      { path: '[1].duration', message: expect.stringMatching(/is more than 86400 s ahead of the server's clock$/) },
      { path: '[2].annotations[1].timestamp', message: expect.stringMatching(/^0 is before 2000-01-01/) },
      { path: '[3].annotations[0].timestamp', message: expect.stringMatching(/ahead of the server's clock$/) },
      { path: '[4].timestamp', message: expect.stringMatching(/ahead of the server's clock$/) },
    ]);
  });

  it('counts tags, endpoint attributes and annotations against the per-request item budget', () => {
    // each span: the local address, two tags and an annotation
    const span = (id: string) => ({ ...ok, id, tags: { a: '1', b: '2' }, annotations: [{ timestamp: nowUs, value: 'ws' }] });
    const body = [span('0000000000000001'), span('0000000000000002')];
    expect(decodeZipkin(body, { limits: { maxItemsPerRequest: 8 } }).spans).toHaveLength(2);
    let err: unknown;
    try {
      decodeZipkin(body, { limits: { maxItemsPerRequest: 7 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({ status: 413, message: expect.stringContaining('limit is 7 a request') });
  });
});
