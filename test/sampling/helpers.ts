/**
 * Helpers of the sampling integration tests: traceIds with a chosen randomness, request bodies with
 * the span fields sampling reads, the trace's DO state, and what was written for it (R2 head, D1 row).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { openTrace } from '../../durable/trace-codec';
import { traceKey, type TraceAssembler } from '../../durable/trace-assembler';
import type { TraceHead } from '../../durable/assemble';
import { otlpJson, randomHex, type SpanSpec } from '../helpers/spans';

/** A fresh traceId whose randomness (its low 56 bits, 14 hex digits) is `low14`. */
export const traceIdWith = (low14: string): string => `${randomHex(9)}${low14}`;
/** Randomness kept by every rate above about 6% */
export const HIGH_R = 'f0000000000000';
/** Randomness kept only by rates above about 94% */
export const LOW_R = '10000000000000';

export interface SampledSpanSpec extends SpanSpec {
  /** the span's W3C tracestate, e.g. `ot=th:8` from an upstream sampler */
  traceState?: string;
  /** `sampling.priority`, sent as an intValue the way the SDKs set it */
  priority?: number;
}

/** An OTLP/JSON body as otlpJson writes it, plus the tracestate and priority of the specs that have them. */
export function sampledOtlpJson(traceId: string, specs: SampledSpanSpec[]): string {
  const body = JSON.parse(otlpJson(traceId, specs)) as {
    resourceSpans: { scopeSpans: { spans: { spanId: string; traceState?: string; attributes: unknown[] }[] }[] }[];
  };
  const bySpanId = new Map(specs.map((s) => [s.spanId, s]));
  for (const rs of body.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const span of ss.spans) {
        const spec = bySpanId.get(span.spanId);
        if (spec?.traceState !== undefined) span.traceState = spec.traceState;
        if (spec?.priority !== undefined) span.attributes.push({ key: 'sampling.priority', value: { intValue: String(spec.priority) } });
      }
  return JSON.stringify(body);
}

export const stubFor = (traceId: string) => env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(traceId));

/** The DO's meta as stored (k → parsed v). */
export function doMeta(traceId: string): Promise<Record<string, unknown>> {
  return runInDurableObject(stubFor(traceId), (_i: TraceAssembler, state) => {
    const m: Record<string, unknown> = {};
    for (const row of state.storage.sql.exec<{ k: string; v: string }>('SELECT k, v FROM meta')) m[row.k] = JSON.parse(row.v);
    return m;
  });
}

export function storedBatches(traceId: string): Promise<number> {
  return runInDurableObject(stubFor(traceId), (_i: TraceAssembler, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM batches').one().n);
}

export async function writtenHead(traceId: string): Promise<TraceHead | null> {
  const object = await env.TRACES.get(traceKey(traceId));
  return object ? (await openTrace(await object.arrayBuffer())).head : null;
}

export function indexRow(traceId: string) {
  return env.DB.prepare('SELECT span_count, sample_rate, adjusted_count FROM traces WHERE trace_id = ?')
    .bind(traceId)
    .first<{ span_count: number; sample_rate: number; adjusted_count: number }>();
}

export async function until<T>(check: () => Promise<T | null | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the flush to drop the trace, and returns the reason it recorded. */
export async function droppedReason(traceId: string): Promise<unknown> {
  const meta = await until(async () => {
    const m = await doMeta(traceId);
    return m.dropped !== undefined && m;
  }, `the flush drops trace ${traceId}`);
  return meta.dropped;
}
