/**
 * The TraceAssembler's promises, inside workerd with real DO storage, alarms, R2 and D1:
 * late and retried spans, any arrival order, orphans, the late-span window, merge with R2 after
 * it, and faults (R2 or D1 failing during the alarm, a DO failing during ingest).
 */
import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { TraceAssembler } from '../durable/trace-assembler';
import { BASE, postOtlp, waitForTrace } from './helpers/api';
import { otlpJson, randomHex, type SpanSpec } from './helpers/spans';

const stubFor = (traceId: string) => env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(traceId));

function threeSpans(): SpanSpec[] {
  const root = randomHex(8);
  const child = randomHex(8);
  return [
    { spanId: root, name: 'root', start: 0, end: 100 },
    { spanId: child, parentSpanId: root, name: 'child', start: 10, end: 90 },
    { spanId: randomHex(8), parentSpanId: child, name: 'grandchild', start: 20, end: 80 },
  ];
}

async function indexRow(traceId: string) {
  return env.DB.prepare('SELECT version, span_count, orphan_count FROM traces WHERE trace_id = ?').bind(traceId).first<{
    version: number;
    span_count: number;
    orphan_count: number;
  }>();
}

async function storageIsEmpty(traceId: string): Promise<boolean> {
  return runInDurableObject(stubFor(traceId), async (_instance: TraceAssembler, state) => {
    const tables = state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('batches', 'meta')").one().n;
    return tables === 0 && (await state.storage.getAlarm()) === null;
  });
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('late and retried spans', () => {
  it('a span arriving after the flush, within the late window, re-writes the trace as version 2', async () => {
    const traceId = randomHex(16);
    const spans = threeSpans();
    expect((await postOtlp(otlpJson(traceId, spans))).status).toBe(200);
    await waitForTrace(traceId, 3, 1);
    // still within the window: the DO holds the written batches (this is not the merge-after-forget path)
    expect(await storageIsEmpty(traceId)).toBe(false);
    const late: SpanSpec = { spanId: randomHex(8), parentSpanId: spans[0]!.spanId, name: 'late', start: 50, end: 60 };
    expect((await postOtlp(otlpJson(traceId, [late]))).status).toBe(200);
    const t = await waitForTrace(traceId, 4, 2);
    expect(t.version).toBe(2);
    expect(t.spans.find((s) => s.operationName === 'late')?.edgetrace).toMatchObject({ late: true });
    expect(t.spans.filter((s) => s.edgetrace?.late).map((s) => s.operationName)).toEqual(['late']);
    // the spans already in R2 are not read a second time as retried copies
    expect(t.warnings ?? []).toEqual([]);
    expect(await indexRow(traceId)).toMatchObject({ version: 2, span_count: 4 });
  });

  it('after the window the DO forgets, and a later span is merged with the trace in R2', async () => {
    const traceId = randomHex(16);
    const spans = threeSpans();
    await postOtlp(otlpJson(traceId, spans));
    await waitForTrace(traceId, 3, 1);
    await until(() => storageIsEmpty(traceId), 'the DO to delete its storage after the late window');
    const later: SpanSpec = { spanId: randomHex(8), parentSpanId: spans[1]!.spanId, name: 'much later', start: 30, end: 40 };
    expect((await postOtlp(otlpJson(traceId, [later]))).status).toBe(200);
    const t = await waitForTrace(traceId, 4, 2);
    expect(t.spans.map((s) => s.operationName).sort()).toEqual(['child', 'grandchild', 'much later', 'root']);
    expect(await indexRow(traceId)).toMatchObject({ version: 2, span_count: 4 });
  });

  it('the same span sent again after the flush is stored once and does not re-write the trace', async () => {
    const traceId = randomHex(16);
    const body = otlpJson(traceId, threeSpans());
    await postOtlp(body);
    await waitForTrace(traceId, 3, 1);
    expect((await postOtlp(body)).status).toBe(200);
    const count = await runInDurableObject(stubFor(traceId), (_i: TraceAssembler, state) =>
      state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM batches').one().n,
    );
    expect(count).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await indexRow(traceId)).toMatchObject({ version: 1, span_count: 3 });
  });

  it('children before parents, the root last: the tree is whole and nothing is an orphan', async () => {
    const traceId = randomHex(16);
    const spans = threeSpans();
    for (const s of [...spans].reverse()) expect((await postOtlp(otlpJson(traceId, [s]))).status).toBe(200);
    const t = await waitForTrace(traceId, 3);
    const root = t.spans.find((s) => s.operationName === 'root')!;
    expect(root.references).toEqual([]);
    expect(t.spans.every((s) => !s.edgetrace?.orphan)).toBe(true);
    expect((await indexRow(traceId))?.orphan_count).toBe(0);
  });

  it('a span whose parent never arrived is kept, marked, and counted in the index', async () => {
    const traceId = randomHex(16);
    const missing = randomHex(8);
    await postOtlp(
      otlpJson(traceId, [
        { spanId: randomHex(8), name: 'root', start: 0, end: 100 },
        { spanId: randomHex(8), parentSpanId: missing, name: 'lost child', start: 10, end: 20 },
      ]),
    );
    // the two spans and a placeholder standing in for the missing parent
    const t = await waitForTrace(traceId, 3);
    const orphan = t.spans.find((s) => s.operationName === 'lost child')!;
    expect(orphan.edgetrace).toMatchObject({ orphan: true });
    expect(orphan.references[0]?.spanID).toBe(missing);
    const holder = t.spans.find((s) => s.spanID === missing)!;
    expect(holder).toMatchObject({ operationName: '(missing span)', edgetrace: { placeholder: true } });
    expect(t.spans.filter((s) => s.references.length === 0).map((s) => s.operationName).sort()).toEqual(['(missing span)', 'root']);
    expect((await indexRow(traceId))?.orphan_count).toBe(1);
  });
});

describe('partial reads', () => {
  it('a snapshot of a trace still in the DO is assembled, and capped with a warning saying so', async () => {
    const traceId = randomHex(16);
    await postOtlp(otlpJson(traceId, threeSpans()));
    const whole = await stubFor(traceId).snapshot();
    expect(whole?.spans).toHaveLength(3);
    expect(whole?.summary.spanCount).toBe(3);
    const capped = await stubFor(traceId).snapshot(2);
    expect(capped?.spans).toHaveLength(2);
    expect(capped?.summary.spanCount).toBe(3);
    expect(capped?.warnings).toContain('still assembling: showing 2 of 3 spans; the whole trace is shown once it is written');
    expect(await stubFor(randomHex(16)).snapshot()).toBeNull();
  });

  it('reading an unknown trace id leaves no storage behind in its Durable Object', async () => {
    const traceId = randomHex(16);
    const res = await SELF.fetch(`${BASE}/api/traces/${traceId}`);
    expect(res.status).toBe(404);
    expect(await storageIsEmpty(traceId)).toBe(true);
  });
});

describe('faults: nothing acknowledged is lost', () => {
  type Bindings = { TRACES: R2Bucket; DB: D1Database };
  /** A binding's own member, methods bound to it (runtime objects refuse another `this`). */
  const bound = (target: object, p: string | symbol) => {
    const v = Reflect.get(target, p) as unknown;
    return typeof v === 'function' ? v.bind(target) : v;
  };
  /** Swaps a binding of one live DO instance for a wrapper whose writes fail, until restored. */
  async function breakBinding(traceId: string, which: 'TRACES' | 'DB'): Promise<() => Promise<void>> {
    const stub = stubFor(traceId);
    await runInDurableObject(stub, (instance: TraceAssembler) => {
      const holder = instance as unknown as { env: Bindings };
      const real = holder.env[which];
      const failing =
        which === 'TRACES'
          ? new Proxy(real as R2Bucket, { get: (t, p) => (p === 'put' ? () => Promise.reject(new Error('R2 unavailable')) : bound(t, p)) })
          : new Proxy(real as D1Database, { get: (t, p) => (p === 'batch' ? () => Promise.reject(new Error('D1 unavailable')) : bound(t, p)) });
      holder.env = { ...holder.env, [which]: failing };
    });
    return () =>
      runInDurableObject(stub, (instance: TraceAssembler) => {
        const holder = instance as unknown as { env: Bindings };
        holder.env = { ...holder.env, TRACES: env.TRACES, DB: env.DB };
      });
  }

  it.each(['TRACES', 'DB'] as const)('%s failing during the alarm: the alarm retries and the trace is written once it works again', async (which) => {
    const traceId = randomHex(16);
    const restore = await breakBinding(traceId, which);
    expect((await postOtlp(otlpJson(traceId, threeSpans()))).status).toBe(200);
    const stub = stubFor(traceId);
    await expect(runDurableObjectAlarm(stub)).rejects.toThrow(/unavailable/);
    expect(await indexRow(traceId)).toBeNull();
    const retryAt = await runInDurableObject(stub, (_i: TraceAssembler, state) => state.storage.getAlarm());
    expect(retryAt).not.toBeNull();
    await restore();
    await runDurableObjectAlarm(stub);
    await waitForTrace(traceId, 3, 1);
    // With D1 down, the R2 object was already written once: the retry merges into it (no span twice).
    expect(await indexRow(traceId)).toMatchObject({ version: which === 'TRACES' ? 1 : 2, span_count: 3 });
    // ... and the spans of that first write are neither late nor counted as retried copies
    const t = await waitForTrace(traceId, 3, 1);
    expect(t.spans.filter((s) => s.edgetrace?.late)).toEqual([]);
    expect(t.warnings ?? []).toEqual([]);
  });

  it('a DO that fails for one trace of a batch: the edge answers 503 + Retry-After and the retry brings every span', async () => {
    const good = randomHex(16);
    const bad = randomHex(16);
    const stub = stubFor(bad);
    await runInDurableObject(stub, (instance: TraceAssembler) => {
      (instance as unknown as { addSpans: () => Promise<never> }).addSpans = () => Promise.reject(new Error('storage overloaded'));
    });
    const goodSpans = otlpJson(good, threeSpans());
    const badSpans = otlpJson(bad, threeSpans());
    const both = JSON.stringify({
      resourceSpans: [...JSON.parse(goodSpans).resourceSpans, ...JSON.parse(badSpans).resourceSpans],
    });
    const first = await postOtlp(both);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    await runInDurableObject(stub, (instance: TraceAssembler) => {
      delete (instance as unknown as { addSpans?: unknown }).addSpans;
    });
    expect((await postOtlp(both)).status).toBe(200);
    await waitForTrace(good, 3);
    await waitForTrace(bad, 3);
  });
});
