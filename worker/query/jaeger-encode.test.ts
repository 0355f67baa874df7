import { describe, expect, it } from 'vitest';
import { assemble } from '../../durable/assemble';
import { at, kv, sid, span, str, TRACE_ID } from '../../durable/test-spans';
import type { AssembledSpan, SpanId, TraceId } from '../span/model';
import { SpanKind, StatusCode } from '../span/model';
import { traceHead } from '../../durable/trace-codec';
import { type JaegerTag, jaegerTraceJson, jaegerTraceLines, toJaegerTag, toJaegerTrace } from './jaeger-encode';
import { readTraceLines } from '../../web/src/lib/trace-lines';

const US = (ms: number) => Number((BigInt(at(ms)) / 1000n).toString());

function trace() {
  const client = span({ id: 1, service: 'web', host: 'a', name: 'GET /cart', start: 0, end: 100, kind: SpanKind.CLIENT, resource: [kv('k8s.pod.name', str('web-7'))] });
  client.scope = { name: 'io.otel.http', version: '1.2.0' };
  client.traceState = 'vendor=x';
  client.flags = 0x101;
  client.status = { code: StatusCode.ERROR, message: 'upstream timeout' };
  client.droppedAttributesCount = 2;
  client.droppedEventsCount = 1;
  client.droppedLinksCount = 3;
  client.events = [{ timeUnixNano: at(5), name: 'retry', attributes: [kv('attempt', { intValue: '2' })], droppedAttributesCount: 4 }];
  client.links = [
    { traceId: TRACE_ID, spanId: sid(9), attributes: [] },
    { traceId: 'b2'.repeat(16) as TraceId, spanId: sid('f') as SpanId, attributes: [] },
  ];
  const server = span({ id: 2, parent: 1, service: 'api', host: 'b', name: 'POST /cart', start: 510, end: 590, kind: SpanKind.SERVER });
  server.events = [{ timeUnixNano: at(520), name: 'cache.miss', attributes: [] }];
  server.status = { code: StatusCode.OK };
  const orphan = span({ id: 3, parent: 'dead', service: 'web', host: 'a', start: 1, end: 2, resource: [kv('k8s.pod.name', str('web-7'))] });
  const other = span({ id: 4, parent: 1, service: 'web', host: 'a2', start: 1, end: 2, kind: SpanKind.PRODUCER });
  return assemble({ traceId: TRACE_ID, spans: [client, server, orphan, other], lateSpanIds: new Set([sid(4)]), version: 3, sampleRate: 1 });
}

const tag = (tags: JaegerTag[], key: string) => tags.find((t) => t.key === key);

describe('toJaegerTrace', () => {
  const j = toJaegerTrace(trace(), { partial: true });
  const byId = (id: number) => j.spans.find((s) => s.spanID === sid(id))!;

  it('writes the trace envelope with warnings, partial and version', () => {
    expect(j.traceID).toBe(TRACE_ID);
    // four spans and the placeholder of the orphan's missing parent
    expect(j.spans).toHaveLength(5);
    expect(j.partial).toBe(true);
    expect(j.version).toBe(3);
    expect(j.warnings).toContain(`1 span references a parent that never arrived (missing: ${sid('dead')})`);
    expect(toJaegerTrace(trace()).partial).toBe(false);
  });

  it('says how the trace was kept: rate, adjusted count and the rule or policy', async () => {
    const t = assemble({ traceId: TRACE_ID, spans: [], version: 1, sampleRate: 0.25 });
    t.summary.samplingReason = 'policy:errors';
    expect(toJaegerTrace(t).sampling).toEqual({ rate: 0.25, adjustedCount: 4, reason: 'policy:errors' });
    let text = '';
    for await (const p of jaegerTraceJson(traceHead(t), [])) text += p;
    expect((JSON.parse(text) as { sampling: unknown }).sampling).toEqual({ rate: 0.25, adjustedCount: 4, reason: 'policy:errors' });
  });

  it('makes one process per distinct resource, service.name as serviceName, not as a tag', () => {
    // p4 is the placeholder's
    expect(Object.keys(j.processes)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(byId(1).processID).toBe(byId(3).processID);
    expect(j.processes[byId(1).processID]).toEqual({
      serviceName: 'web',
      tags: [
        { key: 'host.name', type: 'string', value: 'a' },
        { key: 'k8s.pod.name', type: 'string', value: 'web-7' },
      ],
    });
    expect(j.processes[byId(2).processID]!.serviceName).toBe('api');
    expect(byId(4).processID).not.toBe(byId(1).processID);
  });

  it('maps the span fields: ids, name, µs times, flags, kind, status, scope, trace state, dropped counts', () => {
    const c = byId(1);
    expect(c.operationName).toBe('GET /cart');
    expect(c.startTime).toBe(US(0));
    expect(c.duration).toBe(100_000);
    expect(c.flags).toBe(1);
    // the span has no attributes of its own: every tag comes from the OTLP fields
    expect(c.tags).toEqual([
      { key: 'span.kind', type: 'string', value: 'client' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'otel.status_description', type: 'string', value: 'upstream timeout' },
      { key: 'otel.scope.name', type: 'string', value: 'io.otel.http' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.0' },
      { key: 'w3c.tracestate', type: 'string', value: 'vendor=x' },
      { key: 'otel.dropped_attributes_count', type: 'int64', value: 2 },
      { key: 'otel.dropped_events_count', type: 'int64', value: 1 },
      { key: 'otel.dropped_links_count', type: 'int64', value: 3 },
    ]);
    expect(tag(byId(2).tags, 'otel.status_code')).toEqual({ key: 'otel.status_code', type: 'string', value: 'OK' });
    expect(tag(byId(2).tags, 'error')).toBeUndefined();
    expect(tag(byId(3).tags, 'span.kind')).toEqual({ key: 'span.kind', type: 'string', value: 'internal' });
    expect(tag(byId(4).tags, 'span.kind')?.value).toBe('producer');
    expect(byId(4).flags).toBe(1);
  });

  it('writes the parent as CHILD_OF (even a missing one) and links as FOLLOWS_FROM', () => {
    expect(byId(1).references).toEqual([
      { refType: 'FOLLOWS_FROM', traceID: TRACE_ID, spanID: sid(9) },
      { refType: 'FOLLOWS_FROM', traceID: 'b2'.repeat(16), spanID: sid('f') },
    ]);
    expect(byId(2).references).toEqual([{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: sid(1) }]);
    expect(byId(3).references).toEqual([{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: sid('dead') }]);
  });

  it('writes events as logs with an event field, at skew-adjusted µs', () => {
    expect(byId(1).logs).toEqual([
      {
        timestamp: US(5),
        fields: [
          { key: 'event', type: 'string', value: 'retry' },
          { key: 'attempt', type: 'int64', value: 2 },
          { key: 'otel.dropped_attributes_count', type: 'int64', value: 4 },
        ],
      },
    ]);
    // the server was moved by -500 ms, and its event with it
    expect(byId(2).logs[0]!.timestamp).toBe(US(20));
  });

  it('shows adjusted times, the shift, the original start, network legs and span warnings', () => {
    const s = byId(2);
    expect(s.startTime).toBe(US(10));
    expect(s.duration).toBe(80_000);
    expect(s.edgetrace).toEqual({ skewUs: -500_000, originalStartTime: US(510), network: { requestUs: 10_000, responseUs: 10_000 } });
    expect(s.warnings?.[0]).toMatch(/adjusted by -500ms/);
    expect(byId(1).edgetrace).toBeUndefined(); // failed, but a SERVER span answered it
    expect(byId(3).edgetrace).toEqual({ orphan: true });
    expect(byId(3).warnings).toEqual([`invalid parent span ID ${sid('dead')}: the parent never arrived`]);
    expect(byId(4).edgetrace).toEqual({ late: true });
    expect(byId(4).warnings).toBeNull();
  });

  it('stands a placeholder in for a missing parent, spanning its orphaned children', () => {
    const a = span({ id: 1, parent: 'dead', start: 10, end: 30 });
    const b = span({ id: 2, parent: 'dead', start: 20, end: 50 });
    const t = toJaegerTrace(assemble({ traceId: TRACE_ID, spans: [a, b], version: 1, sampleRate: 1 }));
    const holder = t.spans.find((s) => s.spanID === sid('dead'))!;
    expect(t.spans).toHaveLength(3);
    expect(holder).toMatchObject({ operationName: '(missing span)', references: [], startTime: US(10), duration: 40_000, edgetrace: { placeholder: true } });
    expect(holder.warnings?.[0]).toMatch(/never arrived.*2 children/);
    expect(t.processes[holder.processID]?.serviceName).toBe('(missing span)');
    // the children now hang from it
    expect(t.spans.filter((s) => s.references[0]?.spanID === holder.spanID)).toHaveLength(2);
  });

  it('flags a failed call that no server answered', () => {
    const lone = span({ id: 1, kind: SpanKind.CLIENT, status: StatusCode.ERROR, start: 0, end: 1 });
    const t = toJaegerTrace(assemble({ traceId: TRACE_ID, spans: [lone], version: 1, sampleRate: 1 }));
    expect(t.spans[0]!.edgetrace).toEqual({ networkFailure: true });
    expect(t.spans[0]!.warnings?.[0]).toMatch(/likely a network failure/);
  });

  it('keeps fractional µs of a shift', () => {
    const s: AssembledSpan = { ...span({ id: 1, start: 0, end: 1 }), ann: { skewNanos: '1500' as never, network: { requestNanos: '250' as never, responseNanos: '-250' as never } } };
    const t = toJaegerTrace({ ...trace(), spans: [s] });
    expect(t.spans[0]!.edgetrace).toEqual({ skewUs: 1.5, originalStartTime: US(0), network: { requestUs: 0.25, responseUs: -0.25 } });
    expect(t.spans[0]!.startTime).toBe(US(0) + 1);
  });
});

describe('toJaegerTag', () => {
  it('maps every value kind to a Jaeger tag type', () => {
    expect(toJaegerTag('s', str('x'))).toEqual({ key: 's', type: 'string', value: 'x' });
    expect(toJaegerTag('b', { boolValue: false })).toEqual({ key: 'b', type: 'bool', value: false });
    expect(toJaegerTag('i', { intValue: '-42' })).toEqual({ key: 'i', type: 'int64', value: -42 });
    expect(toJaegerTag('big', { intValue: '9223372036854775807' })).toEqual({ key: 'big', type: 'string', value: '9223372036854775807' });
    expect(toJaegerTag('d', { doubleValue: 0.5 })).toEqual({ key: 'd', type: 'float64', value: 0.5 });
    expect(toJaegerTag('nan', { doubleValue: Number.NaN })).toEqual({ key: 'nan', type: 'string', value: 'NaN' });
    expect(toJaegerTag('bin', { bytesValue: 'AAE=' })).toEqual({ key: 'bin', type: 'binary', value: 'AAE=' });
    expect(toJaegerTag('arr', { arrayValue: { values: [str('a'), { intValue: '1' }, { boolValue: true }] } })).toEqual({ key: 'arr', type: 'string', value: '["a",1,true]' });
    expect(toJaegerTag('kv', { kvlistValue: { values: [kv('a', { doubleValue: 1.5 }), kv('b', { arrayValue: { values: [] } })] } })).toEqual({
      key: 'kv',
      type: 'string',
      value: '{"a":1.5,"b":[]}',
    });
    expect(toJaegerTag('e', {})).toEqual({ key: 'e', type: 'string', value: '' });
  });
});

describe('jaegerTraceJson', () => {
  it('streams the same trace as toJaegerTrace, chunk by chunk', async () => {
    const t = trace();
    const pieces: string[] = [];
    const chunks = [t.spans.slice(0, 1), [], t.spans.slice(1, 3), t.spans.slice(3)];
    for await (const p of jaegerTraceJson(traceHead(t), chunks, { partial: true })) pieces.push(p);
    // the opening, three non-empty chunks, the placeholder of the orphan's missing parent, the closing
    expect(pieces.length).toBe(6);
    expect(JSON.parse(pieces.join(''))).toEqual(toJaegerTrace(t, { partial: true }));
  });

  it('writes the same trace as lines: a head, a line per non-empty chunk, the placeholders, a tail', async () => {
    const t = trace();
    const pieces: string[] = [];
    const chunks = [t.spans.slice(0, 1), [], t.spans.slice(1, 3), t.spans.slice(3)];
    for await (const p of jaegerTraceLines(traceHead(t), chunks, { partial: true })) pieces.push(p);
    expect(pieces.length).toBe(6);
    for (const p of pieces) expect(p.indexOf('\n')).toBe(p.length - 1);
    // the site's reader gives back exactly the Jaeger trace of the JSON format
    const text = new TextEncoder().encode(pieces.join(''));
    const body = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(text), c.close()) });
    expect(await readTraceLines(body)).toEqual(toJaegerTrace(t, { partial: true }));
  });

  /** The lines of `t` cut into chunks of `size`, and what the site's reader makes of them. */
  async function viaLines(t: ReturnType<typeof assemble>, size: number) {
    const pieces: string[] = [];
    const chunks: AssembledSpan[][] = [];
    for (let i = 0; i < t.spans.length; i += size) chunks.push(t.spans.slice(i, i + size));
    for await (const p of jaegerTraceLines(traceHead(t), chunks)) pieces.push(p);
    const text = new TextEncoder().encode(pieces.join(''));
    const body = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(text), c.close()) });
    return { pieces, read: await readTraceLines(body) };
  }

  it('gives back every field it writes compactly: scope, tag types, flags, warnings, logs, references, placeholders', async () => {
    const every = [
      kv('s', str('x')),
      kv('empty', str('')),
      kv('b', { boolValue: false }),
      kv('i', { intValue: '-42' }),
      kv('big', { intValue: '9223372036854775807' }),
      kv('d', { doubleValue: 0.5 }),
      kv('whole', { doubleValue: 2 }),
      kv('nan', { doubleValue: Number.NaN }),
      kv('bin', { bytesValue: 'AAE=' }),
      kv('arr', { arrayValue: { values: [str('a'), { intValue: '1' }] } }),
      kv('kv', { kvlistValue: { values: [kv('a', { doubleValue: 1.5 })] } }),
      kv('none', {}),
      // the same key with another type is another key
      kv('s', { intValue: '7' }),
    ];
    const a = span({ id: 1, name: 'root', start: 0, end: 100, kind: SpanKind.SERVER, attributes: every });
    a.scope = { name: 'io.otel.http', version: '1.2.0' };
    a.flags = 0;
    a.events = [
      { timeUnixNano: at(5), name: 'retry', attributes: every, droppedAttributesCount: 1 },
      { timeUnixNano: at(6), name: 'retry', attributes: [] },
    ];
    const b = span({ id: 2, parent: 1, name: 'root', start: 10, end: 20, kind: SpanKind.CLIENT, attributes: every.slice(0, 4) });
    b.scope = { name: 'io.otel.http' }; // no version
    b.flags = 0x3;
    b.links = [{ traceId: TRACE_ID, spanId: sid(1), attributes: [] }, { traceId: 'b2'.repeat(16) as TraceId, spanId: sid(5) as SpanId, attributes: [] }];
    const c = span({ id: 3, parent: 'dead', name: 'child', start: 30, end: 40, kind: SpanKind.CLIENT, status: StatusCode.ERROR });
    const d = span({ id: 4, parent: 'dead', start: 35, end: 60, service: 'other' });
    d.traceId = 'c3'.repeat(16) as TraceId; // not the trace's own id (assembly never mixes them; the format still could)
    const t = assemble({ traceId: TRACE_ID, spans: [a, b, c, d], version: 1, sampleRate: 1 });
    const want = toJaegerTrace(t);
    expect(want.spans.find((s) => s.spanID === sid('dead'))?.edgetrace).toEqual({ placeholder: true });
    expect(want.spans.some((s) => s.warnings !== null)).toBe(true);
    for (const size of [1, 2, 4]) {
      const { pieces, read } = await viaLines(t, size);
      expect(read).toEqual(want);
      // what the JSON repeats per span is sent once or not at all
      const spanLines = pieces.slice(1, -1).join('');
      expect(spanLines).not.toContain('"type":"string"');
      expect(spanLines.split('"otel.scope.name"')).toHaveLength(2);
      expect(spanLines.split('"io.otel.http"')).toHaveLength(2);
      expect(spanLines.split(TRACE_ID)).toHaveLength(1);
    }
  });

  it('refers to repeated values by number, but sends keys whose values keep changing inline', async () => {
    const spans = Array.from({ length: 700 }, (_, i) => {
      const s = span({ id: i + 1, parent: i > 0 ? 1 : undefined, name: i % 2 ? 'GET /a' : `op-${i}`, start: i, end: i + 1, attributes: [kv('id', str(`u-${i}`)), kv('method', str(i % 3 ? 'GET' : 'POST')), kv('n', { intValue: String(i % 300) })] });
      s.scope = { name: 'lib', version: '1' };
      return s;
    });
    const t = assemble({ traceId: TRACE_ID, spans, version: 1, sampleRate: 1 });
    const { pieces, read } = await viaLines(t, 100);
    expect(read).toEqual(toJaegerTrace(t));
    const text = pieces.join('');
    // each repeated value once, in the line that first uses it
    expect(text.split('"POST"')).toHaveLength(2);
    expect(text.split('"GET /a"')).toHaveLength(2);
    expect(text.split('"lib"')).toHaveLength(2);
    // every id is sent once either way
    expect(text.split('"u-699"')).toHaveLength(2);
  });

  it('writes an empty span list and null warnings for an empty trace', async () => {
    const t = assemble({ traceId: TRACE_ID, spans: [], version: 1, sampleRate: 1 });
    let text = '';
    for await (const p of jaegerTraceJson(traceHead(t), [])) text += p;
    expect(JSON.parse(text)).toEqual({
      traceID: TRACE_ID,
      spans: [],
      processes: {},
      warnings: null,
      partial: false,
      version: 1,
      sampling: { rate: 1, adjustedCount: 1, reason: null },
    });
  });
});
