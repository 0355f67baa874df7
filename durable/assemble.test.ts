import { describe, expect, it } from 'vitest';
import type { AssembledSpan } from '../worker/span/model';
import { SpanKind, StatusCode } from '../worker/span/model';
import { annotateSpans, assemble, planAssembly } from './assemble';
import { at, kv, sid, span, str, TRACE_ID } from './test-spans';

const MS = 1_000_000n;
const byId = (spans: AssembledSpan[], id: number | string) => spans.find((s) => s.spanId === sid(id))!;

function shopTrace() {
  return [
    // children before their parents, as they often arrive
    span({ id: 3, parent: 2, service: 'api', host: 'b', start: 520, end: 560 }),
    span({ id: 2, parent: 1, service: 'api', host: 'b', start: 510, end: 590, kind: SpanKind.SERVER }),
    span({ id: 1, service: 'web', host: 'a', name: 'GET /cart', start: 0, end: 100, kind: SpanKind.CLIENT }),
    span({ id: 5, parent: 'feed', service: 'worker', host: 'c', start: 40, end: 45, status: StatusCode.ERROR }),
    span({ id: 6, service: 'cron', host: 'c', name: 'tick', start: 200, end: 210 }),
  ];
}

describe('assemble', () => {
  it('orders spans parents-first and keeps several roots', () => {
    const t = assemble({ traceId: TRACE_ID, spans: shopTrace(), version: 1, sampleRate: 1 });
    expect(t.spans.map((s) => s.spanId)).toEqual([sid(1), sid(2), sid(3), sid(5), sid(6)]);
    expect(t.summary.rootOperation).toBe('GET /cart');
    expect(t.summary.spanCount).toBe(5);
  });

  it('marks an orphan, warns on the span and the trace, and counts it', () => {
    const t = assemble({ traceId: TRACE_ID, spans: shopTrace(), version: 1, sampleRate: 1 });
    const orphan = byId(t.spans, 5);
    expect(orphan.ann?.orphan).toBe(true);
    expect(orphan.ann?.warnings).toEqual([`invalid parent span ID ${sid('feed')}: the parent never arrived`]);
    expect(orphan.parentSpanId).toBe(sid('feed'));
    expect(t.summary.orphanCount).toBe(1);
    expect(t.warnings).toContain(`1 span references a parent that never arrived (missing: ${sid('feed')})`);
  });

  it('shifts a drifting host, keeps the original times, and records the shift and a warning', () => {
    const input = shopTrace();
    const t = assemble({ traceId: TRACE_ID, spans: input, version: 1, sampleRate: 1 });
    const server = byId(t.spans, 2);
    const child = byId(t.spans, 3);
    expect(server.startTimeUnixNano).toBe(at(510));
    expect(server.ann?.skewNanos).toBe((-500n * MS).toString());
    expect(child.ann?.skewNanos).toBe((-500n * MS).toString());
    expect(child.startTimeUnixNano).toBe(at(520));
    expect(server.ann?.warnings?.[0]).toMatch(/adjusted by -500ms/);
    expect(byId(t.spans, 1).ann).toBeUndefined();
    expect(t.warnings).toContain('2 spans were adjusted for clock skew (original times kept)');
    // the input is untouched
    expect(input.some((s) => 'ann' in s)).toBe(false);
  });

  it('records the network legs on the server span after adjustment', () => {
    const t = assemble({ traceId: TRACE_ID, spans: shopTrace(), version: 1, sampleRate: 1 });
    expect(byId(t.spans, 2).ann?.network).toEqual({ requestNanos: (10n * MS).toString(), responseNanos: (10n * MS).toString() });
  });

  it('flags a failed client call that no server answered', () => {
    const spans = [span({ id: 1, service: 'web', kind: SpanKind.CLIENT, status: StatusCode.ERROR, start: 0, end: 5000 })];
    const t = assemble({ traceId: TRACE_ID, spans, version: 1, sampleRate: 1 });
    expect(t.spans[0]!.ann?.networkFailure).toBe(true);
    expect(t.warnings).toContain('1 CLIENT span failed with no SERVER child: likely network failures');
  });

  it('warns of a shift beyond the bound and leaves the span where it was', () => {
    const spans = [span({ id: 1, host: 'a', start: 0, end: 100 }), span({ id: 2, parent: 1, host: 'b', start: 10_000, end: 10_050 })];
    const t = assemble({ traceId: TRACE_ID, spans, version: 1, sampleRate: 1, maxSkewNanos: 1000n * MS });
    expect(byId(t.spans, 2).ann?.skewNanos).toBeUndefined();
    expect(byId(t.spans, 2).ann?.warnings?.[0]).toMatch(/exceeds the 1s bound/);
    expect(t.warnings.some((w) => w.startsWith('clock skew not adjusted for 1 span on "b"'))).toBe(true);
  });

  it('marks late spans and drops duplicate copies with a warning', () => {
    const spans = [span({ id: 1, start: 0, end: 10 }), span({ id: 2, parent: 1, start: 1, end: 2 }), span({ id: 2, parent: 1, start: 1, end: 2 })];
    const t = assemble({ traceId: TRACE_ID, spans, lateSpanIds: new Set([sid(2)]), version: 2, sampleRate: 0.5 });
    expect(t.spans).toHaveLength(2);
    expect(byId(t.spans, 2).ann).toEqual({ late: true });
    expect(t.warnings).toContain('1 copy of spans already present (same spanId) dropped');
    expect([t.version, t.summary.version, t.summary.adjustedCount]).toEqual([2, 2, 2]);
  });

  it('recomputes annotations: stale ones on a re-assembled span are dropped', () => {
    const stale: AssembledSpan = { ...span({ id: 1, start: 0, end: 10 }), ann: { orphan: true, late: true } };
    const t = assemble({ traceId: TRACE_ID, spans: [stale], version: 2, sampleRate: 1 });
    expect('ann' in t.spans[0]!).toBe(false);
  });

  it('gives the same trace whatever the arrival order', () => {
    const a = assemble({ traceId: TRACE_ID, spans: shopTrace(), version: 1, sampleRate: 1 });
    const b = assemble({ traceId: TRACE_ID, spans: shopTrace().reverse(), version: 1, sampleRate: 1 });
    expect(b).toEqual(a);
  });

  it('holds spans to the limits, recording dropped counts and cut values', () => {
    const many = Array.from({ length: 130 }, (_, i) => kv(`k${i}`, str('v')));
    const t = assemble({
      traceId: TRACE_ID,
      spans: [span({ id: 1, start: 0, end: 1, attributes: [...many, kv('big', str('x'.repeat(20_000)))] })],
      version: 1,
      sampleRate: 1,
    });
    expect(t.spans[0]!.attributes).toHaveLength(128);
    expect(t.spans[0]!.droppedAttributesCount).toBe(3);
    expect(t.warnings[0]).toMatch(/1 span was over the storage limits: 3 attributes, events or links dropped/);
    const t2 = assemble({ traceId: TRACE_ID, spans: [span({ id: 1, start: 0, end: 1, attributes: [kv('big', str('x'.repeat(20_000)))] })], version: 1, sampleRate: 1 });
    expect(t2.spans[0]!.ann?.warnings).toEqual(['1 value was cut to 16384 characters (bytes)']);
  });

  it('assembles an empty input to an empty trace', () => {
    const t = assemble({ traceId: TRACE_ID, spans: [], version: 1, sampleRate: 1 });
    expect(t.spans).toEqual([]);
    expect(t.summary.spanCount).toBe(0);
    expect(t.summary.durationNanos).toBe('0');
  });
});

describe('planAssembly + annotateSpans (two passes for large traces)', () => {
  function input() {
    const spans = shopTrace();
    spans.push(span({ id: 7, parent: 1, service: 'web', host: 'a', start: 10, end: 20, attributes: [kv('big', str('y'.repeat(17_000)))] }));
    spans.push(shopTrace()[0]!); // a retried copy
    spans.push({ ...span({ id: 8, start: 0, end: 1 }), ann: { orphan: true } } as AssembledSpan); // stale annotations
    // failed calls with no SERVER child: a likely network failure, and a database call (not one)
    spans.push(span({ id: 9, parent: 1, service: 'web', host: 'a', start: 30, end: 40, kind: SpanKind.CLIENT, status: StatusCode.ERROR }));
    spans.push(span({ id: 10, parent: 1, service: 'web', host: 'a', start: 40, end: 50, kind: SpanKind.CLIENT, status: StatusCode.ERROR, attributes: [kv('db.system.name', str('postgresql'))] }));
    return spans;
  }
  const args = { traceId: TRACE_ID, lateSpanIds: new Set([sid(6)]), version: 4, sampleRate: 0.1 };

  it('finds what assemble finds: same head, same annotated spans (in stored order)', async () => {
    const whole = assemble({ ...args, spans: input() });
    const plan = await planAssembly({ ...args, spans: input() });
    expect(plan.head).toEqual({ traceId: TRACE_ID, version: 4, summary: whole.summary, warnings: whole.warnings, spanCount: whole.spans.length });
    const chunks: AssembledSpan[][] = [];
    // an async source, read in chunks of 2
    async function* source() {
      yield* input();
    }
    for await (const c of annotateSpans(plan, source(), 2)) chunks.push(c);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 1]);
    const streamed = chunks.flat();
    const sortById = (a: AssembledSpan, b: AssembledSpan) => (a.spanId < b.spanId ? -1 : 1);
    expect([...streamed].sort(sortById)).toStrictEqual([...whole.spans].sort(sortById));
    expect(byId(streamed, 7).attributes[0]!.value).toEqual(str('y'.repeat(16_384)));
    expect(byId(streamed, 9).ann?.networkFailure).toBe(true);
    expect(byId(streamed, 10).ann?.networkFailure).toBeUndefined();
  });

  it('refuses a second pass that does not give the same spans', async () => {
    const plan = await planAssembly({ ...args, spans: input() });
    const run = async () => {
      for await (const _ of annotateSpans(plan, input().filter((s) => s.spanId !== sid(7)))) void _;
    };
    await expect(run()).rejects.toThrow(/pass 2 read 8 distinct spans, pass 1 read 9/);
  });
});
