/**
 * What assembly learns about a trace, end to end in workerd: spans posted to `POST /v1/traces`,
 * flushed by the real Durable Object alarm, read back as Jaeger JSON and as OTLP/JSON. Clock skew
 * between hosts, network legs and likely network failures, the storage limits, and one large
 * request of a single trace.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { TraceAssembler } from '../durable/trace-assembler';
import { SpanKind } from '../worker/span/model';
import { getOtlp, named, otlpSpans, startOffsetUs } from './helpers/analysis';
import { gzip, postOtlp, tagOf, waitForTrace } from './helpers/api';
import { otlpJson, randomHex, type SpanSpec } from './helpers/spans';

const { SERVER, CLIENT } = SpanKind;
/** Services unique to this file, so the service index of other files is not disturbed. */
const u = randomHex(3);
const FRONTEND = `frontend-${u}`;
const BACKEND = `backend-${u}`;
const MS_US = 1000;
const HOUR_MS = 3_600_000;

async function send(traceId: string, specs: SpanSpec[]) {
  const res = await postOtlp(otlpJson(traceId, specs));
  expect(res.status).toBe(200);
  return waitForTrace(traceId, specs.length);
}

describe('clock skew', () => {
  it("a SERVER child on a host whose clock runs 200 ms ahead is moved inside its CLIENT parent, with its host's descendants", async () => {
    const traceId = randomHex(16);
    const [root, call, handler, work] = [randomHex(8), randomHex(8), randomHex(8), randomHex(8)];
    // Host B's clock is 200 ms ahead: the handler really ran 20..100, inside the call 10..110.
    const t = await send(traceId, [
      { spanId: root, name: 'GET /checkout', service: FRONTEND, host: 'host-a', kind: SERVER, start: 0, end: 120 },
      { spanId: call, parentSpanId: root, name: 'POST /charge', service: FRONTEND, host: 'host-a', kind: CLIENT, start: 10, end: 110 },
      { spanId: handler, parentSpanId: call, name: 'charge', service: BACKEND, host: 'host-b', kind: SERVER, start: 220, end: 300 },
      { spanId: work, parentSpanId: handler, name: 'compute', service: BACKEND, host: 'host-b', start: 230, end: 290 },
    ]);
    const rootSpan = named(t.spans, 'GET /checkout');
    const callSpan = named(t.spans, 'POST /charge');
    const handlerSpan = named(t.spans, 'charge');
    const workSpan = named(t.spans, 'compute');

    // 100 ms call, 80 ms handler: 10 ms of latency on each side.
    expect(startOffsetUs(handlerSpan, rootSpan)).toBe(20 * MS_US);
    expect(handlerSpan.duration).toBe(80 * MS_US);
    expect(handlerSpan.edgetrace).toMatchObject({ skewUs: -200 * MS_US, network: { requestUs: 10 * MS_US, responseUs: 10 * MS_US } });
    expect(handlerSpan.warnings).toContain('timestamps adjusted by -200ms for clock skew of host "host-b" against the parent\'s host "host-a"');
    // The handler's descendant on the same host shares its clock, so it moves by the same amount.
    expect(startOffsetUs(workSpan, rootSpan)).toBe(30 * MS_US);
    expect(workSpan.edgetrace?.skewUs).toBe(-200 * MS_US);
    expect(workSpan.warnings).toContain('timestamps adjusted by -200ms for clock skew of host "host-b" (as its parent)');
    // Spans on host A were not moved.
    expect(startOffsetUs(callSpan, rootSpan)).toBe(10 * MS_US);
    expect(callSpan.edgetrace?.skewUs).toBeUndefined();
    expect(callSpan.warnings).toBeNull();
    expect(t.warnings).toContain('2 spans were adjusted for clock skew (original times kept)');

    // The original times: beside the adjusted one in Jaeger JSON, untouched in OTLP/JSON.
    expect(handlerSpan.edgetrace?.originalStartTime).toBe(rootSpan.startTime + 220 * MS_US);
    expect(workSpan.edgetrace?.originalStartTime).toBe(rootSpan.startTime + 230 * MS_US);
    const stored = otlpSpans(await getOtlp(traceId));
    const rootStart = BigInt(named(stored, 'GET /checkout').startTimeUnixNano);
    const handlerStored = named(stored, 'charge');
    expect(BigInt(handlerStored.startTimeUnixNano) - rootStart).toBe(220_000_000n);
    expect(BigInt(handlerStored.endTimeUnixNano) - rootStart).toBe(300_000_000n);
  });

  it('a shift beyond the 1 h bound is not applied, and the span and the trace say so', async () => {
    const traceId = randomHex(16);
    const [call, handler] = [randomHex(8), randomHex(8)];
    const t = await send(traceId, [
      { spanId: call, name: 'GET /report', service: FRONTEND, host: 'host-a', kind: CLIENT, start: 0, end: 100 },
      // two hours ahead: more likely a wrong parent than a drifting clock
      { spanId: handler, parentSpanId: call, name: 'report', service: BACKEND, host: 'host-c', kind: SERVER, start: 2 * HOUR_MS + 10, end: 2 * HOUR_MS + 90 },
    ]);
    const callSpan = named(t.spans, 'GET /report');
    const handlerSpan = named(t.spans, 'report');
    expect(startOffsetUs(handlerSpan, callSpan)).toBe((2 * HOUR_MS + 10) * MS_US);
    expect(handlerSpan.edgetrace?.skewUs).toBeUndefined();
    expect(handlerSpan.edgetrace?.originalStartTime).toBeUndefined();
    expect(handlerSpan.warnings).toContain('clock skew of -2h against the parent\'s host "host-a" exceeds the 1h bound: not adjusted');
    expect(t.warnings).toContain('clock skew not adjusted for 1 span on "host-c": up to -2h, beyond the 1h bound');
    expect(t.warnings?.some((w) => w.includes('adjusted for clock skew (original times kept)'))).toBe(false);
  });
});

describe('network time', () => {
  it('a SERVER child of a CLIENT in another service carries both legs; a failed CLIENT with no SERVER child is a likely network failure, a failed database call is not', async () => {
    const traceId = randomHex(16);
    const [root, call, handler, failedCall, failedHandler] = [randomHex(8), randomHex(8), randomHex(8), randomHex(8), randomHex(8)];
    const t = await send(traceId, [
      { spanId: root, name: 'GET /cart', service: FRONTEND, host: 'host-a', kind: SERVER, start: 0, end: 300 },
      { spanId: call, parentSpanId: root, name: 'GET /items', service: FRONTEND, host: 'host-a', kind: CLIENT, start: 10, end: 110 },
      { spanId: handler, parentSpanId: call, name: 'items', service: BACKEND, host: 'host-b', kind: SERVER, start: 25, end: 90 },
      { spanId: randomHex(8), parentSpanId: root, name: 'GET /prices', service: FRONTEND, host: 'host-a', kind: CLIENT, start: 120, end: 150, error: true },
      { spanId: randomHex(8), parentSpanId: root, name: 'SELECT carts', service: FRONTEND, host: 'host-a', kind: CLIENT, start: 160, end: 190, error: true, attributes: { 'db.system': 'postgresql' } },
      // failed, but the other side answered (with its own error): not a network failure
      { spanId: failedCall, parentSpanId: root, name: 'POST /reserve', service: FRONTEND, host: 'host-a', kind: CLIENT, start: 200, end: 290, error: true },
      { spanId: failedHandler, parentSpanId: failedCall, name: 'reserve', service: BACKEND, host: 'host-b', kind: SERVER, start: 210, end: 280, error: true },
    ]);

    expect(named(t.spans, 'items').edgetrace).toEqual({ network: { requestUs: 15 * MS_US, responseUs: 20 * MS_US } });
    expect(named(t.spans, 'reserve').edgetrace).toEqual({ network: { requestUs: 10 * MS_US, responseUs: 10 * MS_US } });
    // legs belong to the SERVER side only
    expect(named(t.spans, 'GET /items').edgetrace?.network).toBeUndefined();

    const lost = named(t.spans, 'GET /prices');
    expect(lost.edgetrace).toEqual({ networkFailure: true });
    expect(lost.warnings).toEqual(['the call failed and no SERVER span answered it: likely a network failure']);
    expect(tagOf(lost, 'error')).toBe(true);

    const db = named(t.spans, 'SELECT carts');
    expect(tagOf(db, 'error')).toBe(true);
    expect(db.edgetrace?.networkFailure).toBeUndefined();
    expect(db.warnings).toBeNull();
    expect(named(t.spans, 'POST /reserve').edgetrace?.networkFailure).toBeUndefined();

    expect(t.warnings).toContain('1 CLIENT span failed with no SERVER child: likely network failures');
  });
});

describe('storage limits', () => {
  it('a span over 128 attributes and with a value over 16,384 characters is stored cut, with the drops counted and a warning', async () => {
    const traceId = randomHex(16);
    const long = 'stack frame\n'.repeat(2_000); // 24,000 characters
    const attributes: Record<string, string> = { 'exception.stacktrace': long };
    for (let i = 1; i <= 129; i++) attributes[`app.attr.${String(i).padStart(3, '0')}`] = `v${i}`;
    const t = await send(traceId, [{ spanId: randomHex(8), name: 'crash', service: FRONTEND, attributes }]);

    const span = named(t.spans, 'crash');
    // 130 sent: the first 128 are kept, the last 2 dropped and counted.
    expect(tagOf(span, 'app.attr.127')).toBe('v127');
    expect(tagOf(span, 'app.attr.128')).toBeUndefined();
    expect(tagOf(span, 'app.attr.129')).toBeUndefined();
    expect(tagOf(span, 'otel.dropped_attributes_count')).toBe(2);
    expect(tagOf(span, 'exception.stacktrace')).toBe(long.slice(0, 16_384));
    expect(span.warnings).toEqual(['1 value was cut to 16384 characters (bytes)']);
    expect(t.warnings).toContain('1 span was over the storage limits: 2 attributes, events or links dropped (counted in dropped counts), 1 values cut');

    const stored = named(otlpSpans(await getOtlp(traceId)), 'crash');
    expect(stored.attributes).toHaveLength(128);
    expect(stored.droppedAttributesCount).toBe(2);
    expect(stored.attributes[0]).toEqual({ key: 'exception.stacktrace', value: { stringValue: long.slice(0, 16_384) } });
    expect(stored.attributes.at(-1)?.key).toBe('app.attr.127');
  });
});

describe('a large single request', () => {
  it('5,000 spans of one trace in one request (well over 2 MB as JSON) are answered 200 and all stored', { timeout: 180_000 }, async () => {
    const traceId = randomHex(16);
    const N = 5_000;
    const root = randomHex(8);
    const filler = (i: number, key: string) => `${key}:${i}:`.padEnd(400, 'abcdefghijklmnopqrstuvwxyz0123456789');
    const specs: SpanSpec[] = [];
    for (let i = 0; i < N; i++) {
      specs.push({
        spanId: i === 0 ? root : randomHex(8),
        ...(i === 0 ? {} : { parentSpanId: root }),
        name: `step ${i}`,
        service: FRONTEND,
        start: i,
        end: i + 1,
        attributes: { 'app.request': filler(i, 'request'), 'app.response': filler(i, 'response'), 'app.note': filler(i, 'note') },
      });
    }
    const json = otlpJson(traceId, specs);
    // twice the 2 MB one DO SQLite value may hold
    expect(json.length).toBeGreaterThan(4 * 1024 * 1024);
    // gzip, as the OTLP exporters send it: the plain body would be close to the 8 MiB body limit
    const res = await postOtlp(await gzip(json), { type: 'application/json', headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    // Production DO SQLite refuses a value over 2 MB; local workerd does not, so the rows are
    // measured here (right after the answer, before the late window lets the DO forget them).
    const stub = env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(traceId));
    const rows = await runInDurableObject(stub, (_i: TraceAssembler, state) =>
      state.storage.sql
        .exec<{ n: number; maxBytes: number }>('SELECT COUNT(*) AS n, MAX(LENGTH(CAST(spans AS BLOB))) AS maxBytes FROM batches')
        .one(),
    );
    expect(rows.n).toBeGreaterThan(0);
    expect(rows.maxBytes).toBeLessThan(2_000_000);

    const t = await waitForTrace(traceId, N, 1, 150_000);
    expect(new Set(t.spans.map((s) => s.spanID)).size).toBe(N);
    const last = named(t.spans, `step ${N - 1}`);
    expect(tagOf(last, 'app.note')).toBe(filler(N - 1, 'note'));
    expect(last.references[0]?.spanID).toBe(root);
  });
});
