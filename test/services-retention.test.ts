/**
 * deleteServicesDataBefore (called by the retention cron) against real local D1: it deletes the
 * registry, metric and service-map rows older than the cutoff in bounded batches and keeps the rest.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SpanKind, type TraceId, type TraceSummary, type UnixNanos } from '../worker/span/model';
import { DependencyRecorder } from '../worker/services/dependency-store';
import { flushStatements } from '../worker/services/metrics-store';
import { RedAggregate } from '../worker/services/red-aggregate';
import { deleteServicesDataBefore } from '../worker/services/retention';
import { testSpan } from '../worker/services/test-spans';
import { randomHex } from './helpers/spans';

const DAY = 86_400_000;

async function seed(service: string, atMs: number): Promise<void> {
  const agg = new RedAggregate();
  for (let i = 0; i < 6; i++) agg.addSpan(testSpan({ service, name: `op-${i}`, instance: `${service}-${atMs}` }), atMs);
  await env.DB.batch(flushStatements(env.DB, agg, 0, atMs));
  const rec = new DependencyRecorder();
  const traceId = randomHex(16);
  rec.add(testSpan({ traceId, service, spanId: 'a'.repeat(16), kind: SpanKind.CLIENT }));
  rec.add(testSpan({ traceId, service: `${service}-db`, spanId: 'b'.repeat(16), parentSpanId: 'a'.repeat(16) }));
  const summary = { traceId: traceId as TraceId, startTimeUnixNano: (BigInt(atMs) * 1_000_000n).toString() as UnixNanos, adjustedCount: 1, version: 1 } as TraceSummary;
  await rec.write(env.DB, summary);
}

const count = async (sql: string, ...params: unknown[]) => (await env.DB.prepare(sql).bind(...params).first<{ n: number }>())!.n;

describe('services retention', () => {
  it('deletes what is older than the cutoff, at most maxRows per call, and keeps the rest', async () => {
    const old = `old-${randomHex(3)}`;
    const mixed = `mixed-${randomHex(3)}`;
    const now = Date.now();
    await seed(old, now - 40 * DAY);
    await seed(mixed, now - 40 * DAY);
    await seed(mixed, now - DAY);
    const cutoff = now - 30 * DAY;

    const rounds: number[] = [];
    for (let n = deleteServicesDataBefore(env.DB, cutoff, 5); ; n = deleteServicesDataBefore(env.DB, cutoff, 5)) {
      const deleted = await n;
      rounds.push(deleted);
      expect(deleted).toBeLessThanOrEqual(5);
      if (deleted < 5) break;
    }
    // 12 metric rows, 2 edges, 2 trace markers, 2 instances, 1 service
    expect(rounds.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(19);

    expect(await count('SELECT COUNT(*) AS n FROM services WHERE name = ?', old)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM services WHERE name = ?', mixed)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM service_metrics WHERE service IN (?, ?)', old, mixed)).toBe(6);
    expect(await count('SELECT COUNT(*) AS n FROM service_instances WHERE service IN (?, ?)', old, mixed)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM dependency_edges WHERE parent IN (?, ?)', old, mixed)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM dependency_traces WHERE bucket_ms < ?', cutoff)).toBe(0);
  });
});
