/**
 * Helpers of the sampling integration tests: traceIds with a chosen randomness, the trace's DO
 * state, and what was written for it (R2 head, D1 row).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { openTrace } from '../../durable/trace-codec';
import { traceKey, type TraceAssembler } from '../../durable/trace-assembler';
import type { TraceHead } from '../../durable/assemble';
import { randomHex } from '../helpers/spans';

/** A fresh traceId whose randomness (its low 56 bits, 14 hex digits) is `low14`. */
export const traceIdWith = (low14: string): string => `${randomHex(9)}${low14}`;
/** Randomness kept by every rate above about 6% */
export const HIGH_R = 'f0000000000000';
/** Randomness kept only by rates above about 94% */
export const LOW_R = '10000000000000';

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
