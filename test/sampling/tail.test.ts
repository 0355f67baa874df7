/**
 * Tail mode through `/v1/traces`, run with TAIL_PRESAMPLE_RATE=1, SAMPLE_RATE=0.25 and the policies
 * of vitest.config.ts (`errors`, `slow` > 500 ms, `beta`: attribute feature.flag=beta, `big`: at
 * least 5 spans): the trace's DO decides at flush with the whole trace in hand, records the policy,
 * and forgets a dropped trace at once. `sampling.priority` overrides the policies.
 */
import { describe, expect, it } from 'vitest';
import { postOtlp, waitForTrace } from '../helpers/api';
import { otlpJson, randomHex, type SpanSpec } from '../helpers/spans';
import { HIGH_R, LOW_R, doMeta, droppedReason, indexRow, sampledOtlpJson, storedBatches, traceIdWith, until, writtenHead } from './helpers';

/** A quick trace of `n` spans (a root and its children), no error: only the spanCount policy can keep it. */
function spans(n: number): SpanSpec[] {
  const root = randomHex(8);
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? { spanId: root, name: 'GET /', service: 'web', start: 0, end: 20 } : { spanId: randomHex(8), parentSpanId: root, name: `step ${i}`, service: 'web', start: i, end: i + 1 },
  );
}

describe('tail policies', () => {
  it('an error anywhere in the trace keeps it, by the errors policy', async () => {
    const traceId = traceIdWith(LOW_R);
    const root = randomHex(8);
    await postOtlp(otlpJson(traceId, [{ spanId: root, name: 'GET /', service: 'web', start: 0, end: 50 }]));
    await postOtlp(otlpJson(traceId, [{ spanId: randomHex(8), parentSpanId: root, name: 'query', service: 'db', start: 5, end: 20, error: true }]));
    const read = await waitForTrace(traceId, 2);
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('policy:errors');
    // ... and the API says so with the trace
    expect(read.sampling).toEqual({ rate: 1, adjustedCount: 1, reason: 'policy:errors' });
    // kept whenever forwarded: with everything forwarded, it stands for itself
    expect(await indexRow(traceId)).toMatchObject({ span_count: 2, sample_rate: 1, adjusted_count: 1 });
  });

  it('a slow trace is kept by the latency policy', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(otlpJson(traceId, [{ spanId: randomHex(8), name: 'GET /report', service: 'web', start: 0, end: 900 }]));
    await waitForTrace(traceId, 1);
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('policy:slow');
  });

  it('an ordinary trace is kept at the head rate when its randomness allows, with adjusted count 4', async () => {
    const traceId = traceIdWith(HIGH_R);
    await postOtlp(otlpJson(traceId, [{ spanId: randomHex(8), name: 'GET /', service: 'web', start: 0, end: 20 }]));
    await waitForTrace(traceId, 1);
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('probabilistic');
    expect(await indexRow(traceId)).toMatchObject({ sample_rate: 0.25, adjusted_count: 4 });
  });

  it('an ordinary trace below the head rate is dropped, its storage deleted, late spans refused', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(otlpJson(traceId, [{ spanId: randomHex(8), name: 'GET /', service: 'web', start: 0, end: 20 }]));
    await until(async () => (await doMeta(traceId)).dropped !== undefined, 'the flush drops the trace');
    expect(await storedBatches(traceId)).toBe(0);
    // even a late error span: the decision is remembered for the late window
    await postOtlp(otlpJson(traceId, [{ spanId: randomHex(8), name: 'late', service: 'web', start: 0, end: 20, error: true }]));
    expect(await storedBatches(traceId)).toBe(0);
    expect(await writtenHead(traceId)).toBeNull();
  });

  it('the attribute policy keeps a trace with a span of that value, and not one with another value', async () => {
    const beta = traceIdWith(LOW_R);
    const stable = traceIdWith(LOW_R);
    const trace = (flag: string) => [{ spanId: randomHex(8), name: 'GET /', service: 'web', start: 0, end: 20, attributes: { 'feature.flag': flag } }];
    await postOtlp(otlpJson(beta, trace('beta')));
    await postOtlp(otlpJson(stable, trace('stable')));
    await waitForTrace(beta, 1);
    expect((await writtenHead(beta))?.summary.samplingReason).toBe('policy:beta');
    expect(await indexRow(beta)).toMatchObject({ sample_rate: 1, adjusted_count: 1 });
    expect(await droppedReason(stable)).toBe('drop:no policy matched');
    expect(await writtenHead(stable)).toBeNull();
  });

  it('the spanCount policy keeps a trace of 5 spans, and not one of 4', async () => {
    const five = traceIdWith(LOW_R);
    const four = traceIdWith(LOW_R);
    await postOtlp(otlpJson(five, spans(5)));
    await postOtlp(otlpJson(four, spans(4)));
    await waitForTrace(five, 5);
    expect((await writtenHead(five))?.summary.samplingReason).toBe('policy:big');
    expect(await indexRow(five)).toMatchObject({ span_count: 5, sample_rate: 1, adjusted_count: 1 });
    expect(await droppedReason(four)).toBe('drop:no policy matched');
    expect(await writtenHead(four)).toBeNull();
  });

  it('a non-zero sampling.priority keeps an ordinary trace below the head rate, standing for itself', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(sampledOtlpJson(traceId, [{ spanId: randomHex(8), name: 'GET /', service: 'web', start: 0, end: 20, priority: 2 }]));
    await waitForTrace(traceId, 1);
    expect((await writtenHead(traceId))?.summary.samplingReason).toMatch(/sampling\.priority/);
    expect(await indexRow(traceId)).toMatchObject({ sample_rate: 1, adjusted_count: 1 });
  });

  it('sampling.priority 0 drops a trace a policy would keep', async () => {
    const traceId = traceIdWith(HIGH_R);
    const root = randomHex(8);
    await postOtlp(
      sampledOtlpJson(traceId, [
        { spanId: root, name: 'GET /', service: 'web', start: 0, end: 50, priority: 0 },
        { spanId: randomHex(8), parentSpanId: root, name: 'query', service: 'db', start: 5, end: 20, error: true },
      ]),
    );
    expect(await droppedReason(traceId)).toBe('drop:sampling.priority=0');
    expect(await storedBatches(traceId)).toBe(0);
    expect(await writtenHead(traceId)).toBeNull();
  });
});
