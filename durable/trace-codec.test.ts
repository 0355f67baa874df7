import { describe, expect, it } from 'vitest';
import type { AnyValue, AssembledTrace, SpanId, TraceId } from '../worker/span/model';
import { SpanKind, StatusCode } from '../worker/span/model';
import { annotateSpans, assemble, planAssembly } from './assemble';
import { decodeTrace, encodeTrace, encodeTraceStream, openTrace, traceHead as traceHeadOf } from './trace-codec';
import { at, kv, sid, span, str, TRACE_ID } from './test-spans';

const gzipText = async (text: string): Promise<Uint8Array> =>
  new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
const gunzipText = async (bytes: Uint8Array): Promise<string> =>
  new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'))).text();

const everyValue: AnyValue[] = [
  str(''),
  str('ünïcode ✓ 😀 "quoted"\nnew line'),
  { boolValue: true },
  { boolValue: false },
  { intValue: '9223372036854775807' },
  { intValue: '-9223372036854775808' },
  { doubleValue: 1.5 },
  { doubleValue: 1 },
  { doubleValue: Number.NaN },
  { doubleValue: Number.POSITIVE_INFINITY },
  { doubleValue: Number.NEGATIVE_INFINITY },
  { doubleValue: -0 },
  { doubleValue: 5e-324 },
  { bytesValue: 'AAECAwQ=' },
  {},
  { arrayValue: { values: [] } },
  { arrayValue: { values: [str('a'), { intValue: '1' }, { arrayValue: { values: [{}, { doubleValue: Number.NaN }] } }] } },
  { kvlistValue: { values: [kv('x', str('y')), kv('nested', { kvlistValue: { values: [kv('z', { bytesValue: '' })] } })] } },
];

function richTrace(): AssembledTrace {
  const a = span({
    id: 1,
    service: 'web',
    host: 'a',
    start: 0,
    end: 100,
    kind: SpanKind.CLIENT,
    attributes: everyValue.map((v, i) => kv(`v${i}`, v)),
    resource: [kv('service.instance.id', str('web-1'))],
  });
  a.traceState = 'k=v';
  a.flags = 257;
  a.scope = { name: 'io.opentelemetry.http', version: '1.2.3', attributes: [kv('s', str('t'))], droppedAttributesCount: 1 };
  a.droppedAttributesCount = 2;
  a.events = [
    { timeUnixNano: at(0.000001), name: 'exception', attributes: [kv('exception.type', str('Timeout'))], droppedAttributesCount: 3 },
    { timeUnixNano: at(50), name: 'bare', attributes: [] },
  ];
  a.droppedEventsCount = 4;
  a.links = [
    { traceId: 'b2'.repeat(16) as TraceId, spanId: sid('abc') as SpanId, traceState: 'x=y', attributes: [kv('l', { intValue: '7' })], droppedAttributesCount: 5, flags: 1 },
    { traceId: TRACE_ID, spanId: sid(2), attributes: [] },
  ];
  a.droppedLinksCount = 6;
  a.status = { code: StatusCode.ERROR, message: 'boom' };
  const b = span({ id: 2, parent: 1, service: 'api', host: 'b', start: 510, end: 590, kind: SpanKind.SERVER });
  b.scope = { name: 'bare-scope' };
  b.status = { code: StatusCode.OK, message: '' };
  // same resource content as span 1, but a different object and another service: its own entry
  const c = span({ id: 3, parent: 'missing', service: 'web', host: 'a', start: 1, end: 2, resource: [kv('service.instance.id', str('web-1'))] });
  const d = span({ id: 4, parent: 1, service: 'other-name', host: 'a', start: 1, end: 2, resource: [kv('service.instance.id', str('web-1'))] });
  d.traceId = 'c3'.repeat(16) as TraceId;
  d.resource.droppedAttributesCount = 9;
  return assemble({ traceId: TRACE_ID, spans: [a, b, c, d], lateSpanIds: new Set([sid(3)]), version: 7, sampleRate: 0.01 });
}

describe('trace codec', () => {
  it('round-trips a trace exactly: every value kind, ns times, optional fields, annotations', async () => {
    const trace = richTrace();
    // sanity: the fixture carries annotations of several kinds
    expect(trace.spans.some((s) => s.ann?.skewNanos)).toBe(true);
    expect(trace.spans.some((s) => s.ann?.orphan && s.ann.late)).toBe(true);
    const decoded = await decodeTrace(await encodeTrace(trace));
    expect(decoded).toStrictEqual(trace);
    const values = decoded.spans[0]!.attributes.map((a) => a.value);
    expect(Object.is((values[11] as { doubleValue: number }).doubleValue, -0)).toBe(true);
    expect(decoded.spans.find((s) => s.spanId === sid(3))!.startTimeUnixNano).toBe('1704067200001000000');
  });

  it('is gzip of newline-separated JSON with each distinct resource stored once', async () => {
    const spans = Array.from({ length: 2500 }, (_, i) =>
      span({ id: i + 1, parent: i === 0 ? undefined : 1, service: `svc-${i % 3}`, host: `h-${i % 3}`, start: i, end: i + 0.5 }),
    );
    const trace = assemble({ traceId: TRACE_ID, spans, version: 1, sampleRate: 1 });
    const bytes = await encodeTrace(trace);
    const lines = (await gunzipText(bytes)).split('\n');
    // header, the table (before the first chunk), 3 chunks of up to 1000 spans
    expect(lines).toHaveLength(1 + 1 + 3);
    expect((JSON.parse(lines[0]!) as { n: number }).n).toBe(2500);
    expect((JSON.parse(lines[1]!) as { res: unknown[] }).res).toHaveLength(3);
    expect(lines.slice(2).map((l) => (JSON.parse(l) as unknown[]).length)).toEqual([1000, 1000, 500]);
    expect(await decodeTrace(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)).toStrictEqual(trace);
  });

  it('streams: a two-pass write decodes to the assembled trace, chunk by chunk on reading', async () => {
    const spans = Array.from({ length: 25 }, (_, i) => span({ id: i + 1, parent: i === 0 ? undefined : 1, service: `svc-${i % 4}`, host: `h-${i % 4}`, start: i, end: i + 0.5 }));
    const args = { traceId: TRACE_ID, version: 2, sampleRate: 1 };
    const plan = await planAssembly({ ...args, spans });
    const bytes = await encodeTraceStream(plan.head, annotateSpans(plan, spans, 10));
    const lines = (await gunzipText(bytes)).split('\n');
    // header; then for each chunk of 10 the resources first seen in it (4 in the first), and the chunk
    expect(lines.map((l) => (l.startsWith('[') ? 'spans' : l.startsWith('{"res"') ? 'table' : 'head'))).toEqual(['head', 'table', 'spans', 'spans', 'spans']);
    const { head, chunks } = await openTrace(bytes);
    expect(head).toEqual(plan.head);
    const sizes: number[] = [];
    for await (const c of chunks) sizes.push(c.length);
    expect(sizes).toEqual([10, 10, 5]);
    const whole = assemble({ ...args, spans });
    const decoded = await decodeTrace(bytes);
    expect(decoded.summary).toEqual(whole.summary);
    expect([...decoded.spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1))).toStrictEqual(whole.spans);
  });

  it('refuses to write fewer spans than the head announces', async () => {
    const trace = assemble({ traceId: TRACE_ID, spans: [span({ id: 1, start: 0, end: 1 })], version: 1, sampleRate: 1 });
    await expect(encodeTraceStream({ ...traceHeadOf(trace), spanCount: 2 }, [trace.spans])).rejects.toThrow(/announces 2 spans, chunks held 1/);
  });

  it('round-trips an empty trace', async () => {
    const trace = assemble({ traceId: TRACE_ID, spans: [], version: 1, sampleRate: 1 });
    expect(await decodeTrace(await encodeTrace(trace))).toStrictEqual(trace);
  });

  it('refuses what it did not write, saying where', async () => {
    await expect(decodeTrace(await gzipText('{"hello":1}'))).rejects.toThrow(/line 1\.f: not an edgetrace-trace object/);
    await expect(decodeTrace(await gzipText('{"f":"edgetrace-trace","v":99}'))).rejects.toThrow(/format version 99/);
    await expect(decodeTrace(await gzipText('{"f":"edgetrace-trace","v":1,"n":1}\n[{"i":"x","r":4}]'))).rejects.toThrow(/span 0\.r: no resource 4/);
    await expect(decodeTrace(await gzipText('{"f":"edgetrace-trace","v":1,"n":2}\n[]'))).rejects.toThrow(/announces 2 spans, found 0/);
    await expect(decodeTrace(await gzipText('{"f":"edgetrace-trace","v":1,"n":0}\n7'))).rejects.toThrow(/line 2: expected spans or a table/);
    await expect(decodeTrace(await gzipText('{"f":'))).rejects.toThrow(/line 1: not JSON/);
    await expect(decodeTrace(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });
});
