/**
 * Sampling rules through `/v1/traces`, run with SAMPLE_RATE=0 and the rules of vitest.config.ts:
 * `vip` (customer.tier=gold, rate 1), `payments` (service payments, rate 0.5), `checkout-submit`
 * (operation `POST /checkout`, rate 1) and `queue-consumers` (span kind consumer, rate 1). A trace is
 * kept or dropped whole, by the most permissive rule any of its spans matches, wherever its spans
 * arrive; an upstream tracestate `th` caps the rate and `sampling.priority` overrides the rules.
 */
import { describe, expect, it } from 'vitest';
import { postOtlp, waitForTrace } from '../helpers/api';
import { otlpJson, randomHex } from '../helpers/spans';
import { HIGH_R, LOW_R, doMeta, droppedReason, indexRow, sampledOtlpJson, storedBatches, traceIdWith, until, writtenHead } from './helpers';

/** OTLP span kinds as the wire numbers them */
const PRODUCER = 4;
const CONSUMER = 5;

const span = (name: string, service: string, attributes?: Record<string, string>) => ({ spanId: randomHex(8), name, service, attributes });

describe('sampling rules', () => {
  it('a rule with rate 1 keeps the trace whole, with adjusted count 1 and the rule recorded', async () => {
    const traceId = traceIdWith(LOW_R);
    expect((await postOtlp(otlpJson(traceId, [span('checkout', 'web', { 'customer.tier': 'gold' }), span('render', 'web')]))).status).toBe(200);
    await waitForTrace(traceId, 2);
    expect(await indexRow(traceId)).toMatchObject({ span_count: 2, sample_rate: 1, adjusted_count: 1 });
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('rule:vip');
  });

  it('a 0.5 rule keeps a trace whose randomness is above its threshold, counting it twice', async () => {
    const traceId = traceIdWith(HIGH_R);
    await postOtlp(otlpJson(traceId, [span('charge', 'payments')]));
    await waitForTrace(traceId, 1);
    expect(await indexRow(traceId)).toMatchObject({ sample_rate: 0.5, adjusted_count: 2 });
  });

  it('spans split over requests: the gold span arriving later keeps the spans that came before it', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(otlpJson(traceId, [span('a', 'web'), span('b', 'payments')]));
    await postOtlp(otlpJson(traceId, [span('c', 'web', { 'customer.tier': 'gold' })]));
    await waitForTrace(traceId, 3);
    expect(await indexRow(traceId)).toMatchObject({ span_count: 3, sample_rate: 1 });
  });

  it('a trace no rule keeps is dropped whole at flush, and its late spans are dropped too', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(otlpJson(traceId, [span('charge', 'payments'), span('page', 'web')]));
    const meta = await until(async () => {
      const m = await doMeta(traceId);
      return m.dropped !== undefined && m;
    }, 'the flush drops the trace');
    expect(meta.dropped).toBe('drop:rule:payments');
    expect(await storedBatches(traceId)).toBe(0);
    // a late span, even a gold one, is refused for the late window
    expect((await postOtlp(otlpJson(traceId, [span('late', 'web', { 'customer.tier': 'gold' })]))).status).toBe(200);
    expect(await storedBatches(traceId)).toBe(0);
    expect(await writtenHead(traceId)).toBeNull();
    expect(await indexRow(traceId)).toBeNull();
  });

  it('spans matching no rule are dropped at the edge (rate 0) unless a rule may keep the trace', async () => {
    const traceId = traceIdWith(HIGH_R);
    await postOtlp(otlpJson(traceId, [span('page', 'web')]));
    await until(async () => (await doMeta(traceId)).dropped !== undefined, 'the flush drops the trace');
    expect(await writtenHead(traceId)).toBeNull();
  });

  it('a rule on the operation keeps a trace with that span name, and only that one', async () => {
    const submit = traceIdWith(LOW_R);
    const view = traceIdWith(LOW_R);
    await postOtlp(otlpJson(submit, [span('POST /checkout', 'web')]));
    await postOtlp(otlpJson(view, [span('GET /checkout', 'web')]));
    await waitForTrace(submit, 1);
    expect((await writtenHead(submit))?.summary.samplingReason).toBe('rule:checkout-submit');
    expect(await indexRow(submit)).toMatchObject({ sample_rate: 1, adjusted_count: 1 });
    // same service, another operation: only the default (0) applies
    expect(await droppedReason(view)).toBe('drop:default');
    expect(await writtenHead(view)).toBeNull();
  });

  it('a rule on the span kind keeps a trace with a consumer span, not one with a producer span', async () => {
    const consumed = traceIdWith(LOW_R);
    const produced = traceIdWith(LOW_R);
    await postOtlp(otlpJson(consumed, [{ ...span('orders process', 'worker'), kind: CONSUMER }]));
    await postOtlp(otlpJson(produced, [{ ...span('orders publish', 'worker'), kind: PRODUCER }]));
    await waitForTrace(consumed, 1);
    expect((await writtenHead(consumed))?.summary.samplingReason).toBe('rule:queue-consumers');
    expect(await droppedReason(produced)).toBe('drop:default');
  });
});

describe('upstream tracestate', () => {
  it('an upstream th caps the rate of a kept trace: th:8 (0.5) under a rate-1 rule counts it twice', async () => {
    const traceId = traceIdWith(HIGH_R);
    const traceState = 'vendor=abc,ot=th:8';
    await postOtlp(sampledOtlpJson(traceId, [{ ...span('checkout', 'web', { 'customer.tier': 'gold' }), traceState }, { ...span('render', 'web'), traceState }]));
    await waitForTrace(traceId, 2);
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('rule:vip');
    expect(await indexRow(traceId)).toMatchObject({ span_count: 2, sample_rate: 0.5, adjusted_count: 2 });
  });

  it('a th that the trace randomness does not reach is ignored (inconsistent, per the spec)', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(sampledOtlpJson(traceId, [{ ...span('checkout', 'web', { 'customer.tier': 'gold' }), traceState: 'ot=th:8' }]));
    await waitForTrace(traceId, 1);
    expect(await indexRow(traceId)).toMatchObject({ sample_rate: 1, adjusted_count: 1 });
  });
});

describe('sampling.priority', () => {
  it('a non-zero priority keeps a trace no rule would keep, standing for itself', async () => {
    const traceId = traceIdWith(LOW_R);
    await postOtlp(sampledOtlpJson(traceId, [{ ...span('page', 'web'), priority: 1 }, span('render', 'web')]));
    await waitForTrace(traceId, 2);
    expect((await writtenHead(traceId))?.summary.samplingReason).toBe('sampling.priority');
    expect(await indexRow(traceId)).toMatchObject({ span_count: 2, sample_rate: 1, adjusted_count: 1 });
  });

  it('priority 0 drops, whole, a trace a rate-1 rule would keep', async () => {
    const traceId = traceIdWith(HIGH_R);
    await postOtlp(sampledOtlpJson(traceId, [span('checkout', 'web', { 'customer.tier': 'gold' }), { ...span('poll', 'web'), priority: 0 }]));
    expect(await droppedReason(traceId)).toBe('drop:sampling.priority=0');
    expect(await storedBatches(traceId)).toBe(0);
    expect(await writtenHead(traceId)).toBeNull();
    expect(await indexRow(traceId)).toBeNull();
  });
});
