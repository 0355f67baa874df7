/**
 * Tail mode through `/v1/traces`, run with TAIL_PRESAMPLE_RATE=1, SAMPLE_RATE=0.25 and the policies
 * of vitest.config.ts (`errors`, `slow` > 500 ms): the trace's DO decides at flush with the whole
 * trace in hand, records the policy, and forgets a dropped trace at once.
 */
import { describe, expect, it } from 'vitest';
import { postOtlp, waitForTrace } from '../helpers/api';
import { otlpJson, randomHex } from '../helpers/spans';
import { HIGH_R, LOW_R, doMeta, indexRow, storedBatches, traceIdWith, until, writtenHead } from './helpers';

describe('tail policies', () => {
  it('an error anywhere in the trace keeps it, by the errors policy', async () => {
    const traceId = traceIdWith(LOW_R);
    const root = randomHex(8);
    await postOtlp(otlpJson(traceId, [{ spanId: root, name: 'GET /', service: 'web', start: 0, end: 50 }]));
    await postOtlp(otlpJson(traceId, [{ spanId: randomHex(8), parentSpanId: root, name: 'query', service: 'db', start: 5, end: 20, error: true }]));
    await waitForTrace(traceId, 2);
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('policy:errors');
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
});
