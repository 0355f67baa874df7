import { describe, expect, it } from 'vitest';
import type { AnyValue, AssembledSpan, AssembledTrace, Nanos, SpanId, TraceId, UnixNanos } from '../worker/span/model';
import { SpanKind, StatusCode } from '../worker/span/model';
import { annotateSpans, assemble, planAssembly } from './assemble';
import { ATTRIBUTE_KEYS } from './attribute-keys';
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

/** An object as version 1 of the format wrote it (before times became offsets), for `v1Trace()`. */
const V1_OBJECT = [
  '{"f":"edgetrace-trace","v":1,"traceId":"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1","version":3,"summary":{"traceId":"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1","startTimeUnixNano":"1704067200000000000","durationNanos":"160000000","rootService":"web","rootOperation":"op-1","spanCount":3,"errorCount":1,"orphanCount":1,"services":{"web":1,"api":2},"sampleRate":0.5,"adjustedCount":2,"version":3},"warnings":["1 span references a parent that never arrived (missing: 000000000000gone)","1 span was adjusted for clock skew (original times kept)"],"n":3}',
  '{"res":[{"s":"web","a":["service.name","web","host.name","a"]},{"s":"api","a":["service.name","api","host.name","b"]}],"scopes":[{"n":"http","v":"1.0"}]}',
  '[{"i":"0000000000000001","n":"op-1","k":3,"r":0,"b":"1704067200000000000","e":"1704067200100000000","f":257,"s":0,"a":["n",{"i":"-12"},"x",{"d":"NaN"}],"ev":[{"t":"1704067200040000000","n":"retry","a":["attempt",{"i":"2"}]}],"l":[{"t":"b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2","i":"0000000000000abc"}],"sc":2,"sm":"timeout"},' +
    '{"i":"0000000000000002","n":"op-2","k":2,"r":1,"b":"1704067200130000000","e":"1704067200190000000","p":"0000000000000001","x":{"skewNanos":"-110000000","network":{"requestNanos":"20000000","responseNanos":"20000000"},"warnings":["timestamps adjusted by -110ms for clock skew of host \\"b\\" against the parent\'s host \\"a\\""]}},' +
    '{"i":"0000000000000003","n":"op-3","k":1,"r":1,"b":"1704067200150000000","e":"1704067200160000000","p":"000000000000gone","x":{"orphan":true,"late":true,"warnings":["invalid parent span ID 000000000000gone: the parent never arrived"]}}]',
].join('\n');

/** The trace V1_OBJECT holds: a client span with an event, a link and an error, a skewed server child, a late orphan. */
function v1Trace(): AssembledTrace {
  const a = span({ id: 1, service: 'web', host: 'a', start: 0, end: 100, kind: SpanKind.CLIENT, attributes: [kv('n', { intValue: '-12' }), kv('x', { doubleValue: Number.NaN })] });
  a.scope = { name: 'http', version: '1.0' };
  a.flags = 257;
  a.events = [{ timeUnixNano: at(40), name: 'retry', attributes: [kv('attempt', { intValue: '2' })] }];
  a.links = [{ traceId: 'b2'.repeat(16) as TraceId, spanId: sid('abc'), attributes: [] }];
  a.status = { code: StatusCode.ERROR, message: 'timeout' };
  const b = span({ id: 2, parent: 1, service: 'api', host: 'b', start: 130, end: 190, kind: SpanKind.SERVER });
  const c = span({ id: 3, parent: 'gone', service: 'api', host: 'b', start: 150, end: 160 });
  return assemble({ traceId: TRACE_ID, spans: [a, b, c], lateSpanIds: new Set([sid(3)]), version: 3, sampleRate: 0.5 });
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

  it('reads objects of format version 1 and writes version 2', async () => {
    const trace = v1Trace();
    // sanity: the fixture has annotations, a link to another trace and a missing parent
    expect(trace.spans[1]!.ann?.network).toBeDefined();
    expect(trace.spans[2]!.ann?.orphan).toBe(true);
    const v1 = await gzipText(V1_OBJECT);
    expect(await decodeTrace(v1)).toStrictEqual(trace);
    const { head } = await openTrace(v1);
    expect(head).toStrictEqual(traceHeadOf(trace));
    const again = await encodeTrace(await decodeTrace(v1));
    expect((JSON.parse((await gunzipText(again)).split('\n')[0]!) as { v: number }).v).toBe(2);
    expect(await decodeTrace(again)).toStrictEqual(trace);
    expect(again.byteLength).toBeLessThan(v1.byteLength);
  });

  it('writes times as ns offsets and parents as indexes in their line, keeping any time exactly', async () => {
    const trace = v1Trace();
    const [header, , spans] = (await gunzipText(await encodeTrace(trace))).split('\n').map((l) => JSON.parse(l) as unknown);
    expect(header).toMatchObject({ t0: '1704067200000000000', n: 3 });
    // start from t0, end from the start, the event from the start, the parent by index
    expect(spans).toMatchObject([
      { b: 0, e: 100_000_000, ev: [{ t: 40_000_000 }] },
      // the network legs follow from the times and the skew: left out
      { b: 130_000_000, e: 60_000_000, p: 0, x: { k: -110_000_000 } },
      { b: 150_000_000, e: 10_000_000, p: '000000000000gone', x: { o: true, l: true } },
    ]);
    expect((spans as { x?: object }[])[1]!.x).not.toHaveProperty('nt');
    // times no offset can hold: far from t0, past 2^53 from the start, not canonical decimals
    const odd = v1Trace();
    const [a, b, c] = odd.spans as [AssembledSpan, AssembledSpan, AssembledSpan];
    a.startTimeUnixNano = '0' as UnixNanos;
    a.endTimeUnixNano = '18446744073709551615' as UnixNanos;
    a.events[0]!.timeUnixNano = '007' as UnixNanos;
    b.endTimeUnixNano = '' as UnixNanos;
    c.startTimeUnixNano = '1704067200150000000 ' as UnixNanos;
    c.ann = { ...c.ann, skewNanos: '-0' as Nanos, network: { requestNanos: '9007199254740993' as Nanos, responseNanos: '-5' as Nanos } };
    // services their resource does not name as a string: written beside the resource
    b.resource = { attributes: [kv('service.name', { intValue: '1' })] };
    b.service = '1';
    c.service = 'renamed';
    const [, table] = (await gunzipText(await encodeTrace(odd))).split('\n').map((l) => JSON.parse(l) as { res: { s?: string }[] });
    expect(table!.res.map((r) => r.s)).toEqual([undefined, '1', 'renamed']);
    expect(await decodeTrace(await encodeTrace(odd))).toStrictEqual(odd);
  });

  it('writes network legs only where the reader would not derive the same', async () => {
    const trace = v1Trace();
    const server = trace.spans[1]!;
    expect(server.ann?.network).toEqual({ requestNanos: '20000000', responseNanos: '20000000' });
    const written = async (t: AssembledTrace) => (JSON.parse((await gunzipText(await encodeTrace(t))).split('\n')[2]!) as { x?: unknown }[])[1]!.x;
    const variants: [AssembledSpan['ann'], unknown][] = [
      // the legs follow from the times and the skew
      [{ skewNanos: server.ann!.skewNanos!, network: server.ann!.network! }, { k: -110_000_000 }],
      // only legs that follow from the times (no skew): no annotations written at all
      [{ network: { requestNanos: '130000000' as Nanos, responseNanos: '-90000000' as Nanos } }, undefined],
      // legs assembly did not find (a parent link it ignored): said so
      [undefined, false],
      [{ late: true }, { l: true, nt: false }],
      // legs that differ from the times: written
      [{ ...server.ann, network: { requestNanos: '1' as Nanos, responseNanos: '-2' as Nanos } }, { k: -110_000_000, nt: [1, -2], w: server.ann!.warnings }],
    ];
    for (const [ann, x] of variants) {
      const t = v1Trace();
      if (ann === undefined) delete t.spans[1]!.ann;
      else t.spans[1]!.ann = ann;
      expect(await written(t)).toEqual(x);
      expect(await decodeTrace(await encodeTrace(t))).toStrictEqual(t);
    }
  });

  it('writes well-known attribute keys as their index in a list that only ever grows', async () => {
    const digest = async (keys: readonly string[]) =>
      [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(keys.join('\n'))))].map((b) => b.toString(16).padStart(2, '0')).join('');
    // objects already written name keys by these indexes: append new keys, never reorder or remove
    expect(await digest(ATTRIBUTE_KEYS.slice(0, 182))).toBe('acf53a512311cfd0569c916caeea0f722c6b942cb25ef0e9f1370928322f486d');
    const trace = v1Trace();
    const [, table, spans] = (await gunzipText(await encodeTrace(trace))).split('\n').map((l) => JSON.parse(l) as unknown);
    expect((table as { res: { a: unknown[] }[] }).res[0]!.a).toEqual([ATTRIBUTE_KEYS.indexOf('service.name'), 'web', ATTRIBUTE_KEYS.indexOf('host.name'), 'a']);
    // keys not in the list are written out
    expect((spans as { a: unknown[] }[])[0]!.a).toEqual(['n', { i: '-12' }, 'x', { d: 'NaN' }]);
    const object = (index: number) =>
      `{"f":"edgetrace-trace","v":2,"id":"${TRACE_ID}","ver":1,"n":1,"t0":"0","dur":"0","rs":"","ro":"","err":0,"orph":0,"svc":{},"rate":1}\n{"res":[{"s":"x","a":[${index},"v"]}],"scopes":[]}\n[{"i":"1","n":"","k":1,"r":0,"b":0,"e":0}]`;
    expect((await decodeTrace(await gzipText(object(0)))).spans[0]!.resource.attributes).toEqual([kv(ATTRIBUTE_KEYS[0]!, str('v'))]);
    await expect(decodeTrace(await gzipText(object(ATTRIBUTE_KEYS.length)))).rejects.toThrow(/res\[0\]\.attributes\[0\]\.key: must be a string or an index/);
  });

  it('derives the summary fields the header leaves out, and keeps them when they differ', async () => {
    const trace = v1Trace();
    const header = JSON.parse((await gunzipText(await encodeTrace(trace))).split('\n')[0]!) as Record<string, unknown>;
    expect(header).not.toHaveProperty('summary');
    expect(header).not.toHaveProperty('adj');
    const head = { ...traceHeadOf(trace), summary: { ...trace.summary, traceId: 'c3'.repeat(16) as TraceId, spanCount: 9, version: 1, adjustedCount: 3, samplingReason: 'rule:x' } };
    const bytes = await encodeTraceStream(head, [trace.spans]);
    expect((await openTrace(bytes)).head).toStrictEqual(head);
    const none = { ...traceHeadOf(trace), warnings: [] };
    expect((await openTrace(await encodeTraceStream(none, [trace.spans]))).head).toStrictEqual(none);
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
    const v2 = (span: string) =>
      gzipText(`{"f":"edgetrace-trace","v":2,"id":"${TRACE_ID}","ver":1,"n":1,"t0":"5","dur":"0","rs":"","ro":"","err":0,"orph":0,"svc":{},"rate":1}\n{"res":[{"s":"x","a":[]}],"scopes":[]}\n[${span}]`);
    await expect(decodeTrace(await v2('{"i":"x","n":"","k":1,"r":0,"b":1.5,"e":0}'))).rejects.toThrow(/span 0\.b: offset 1\.5 is not an integer/);
    await expect(decodeTrace(await v2('{"i":"x","n":"","k":1,"r":0,"b":0,"e":0,"p":3}'))).rejects.toThrow(/span 0\.p: no span 3 in its line/);
    expect((await decodeTrace(await v2('{"i":"x","n":"","k":1,"r":0,"b":-5,"e":"9"}'))).spans[0]).toMatchObject({ startTimeUnixNano: '0', endTimeUnixNano: '9' });
    await expect(decodeTrace(await gzipText('{"f":'))).rejects.toThrow(/line 1: not JSON/);
    await expect(decodeTrace(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });
});
