import { describe, expect, it } from 'vitest';
import {
  bill,
  cloudflarePrices,
  costPerMillion,
  loadAtScale,
  monthAtScale,
  MONTHLY_MINIMUM_USD,
  type Load,
  type OperationCounts,
  type PriceId,
  type SpanWorkCounts,
} from './cost-model';

/** Round figures so that every expected value below can be worked out by hand. */
const ops: OperationCounts = {
  spansPerRequest: 500,
  edgeCpuMsPerRequest: 1,
  edgeCpuNsPerSpan: 2000,
  spansPerTrace: 10,
  rpcsPerTrace: 4,
  alarmsPerTrace: 2,
  flushesPerTrace: 1,
  doRowsWrittenPerTrace: 20,
  doRowsReadPerTrace: 0,
  doBytesPerSpan: 0,
  doHoldSeconds: 3600,
  doActiveMsPerRpc: 0,
  doActiveMsPerFlush: 0,
  doActiveMsPerAlarm: 0,
  doCpuNsPerSpan: 0,
  r2BytesPerSpan: 100,
  d1RowsWrittenPerTrace: 5,
  d1RowsDeletedPerTrace: 5,
  d1RowsReadPerTrace: 0,
  d1BytesPerTrace: 0,
};

/** The same for the metrics pipeline and the rate limiter. */
const work: SpanWorkCounts = {
  redCpuNsPerSpan: 500,
  metricsRequestsPerIngestRequest: 0.5,
  metricsShards: 8,
  metricsAlarmsPerShardMinute: 1,
  metricsActiveMsPerRequest: 80,
  metricsDoRowsWrittenPerShardMinute: 60,
  metricsD1RowsWrittenPerGroupMinute: 4,
  metricsD1RowsReadPerGroupMinute: 3,
  registryD1RowsWrittenPerInstanceMinute: 1,
  registryD1RowsWrittenPerServiceMinute: 1,
  limiterRequestsPerIngestRequest: 0.1,
  limiterActiveMsPerRequest: 1,
};
/** 1M spans arrive in 1,000 s = 16⅔ minutes: 1,000 group-minutes, 100 instance-minutes, 50 service-minutes */
const load: Load = { spansPerSecond: 1000, services: 3, instances: 6, groups: 60 };
const policy = { sampleRate: 0.001, retentionDays: 30 };

const line = (b: ReturnType<typeof bill>, id: PriceId) => b.lines.find((l) => l.id === id)!;

describe('cost model', () => {
  it('prices the edge per million ingested spans from requests and CPU', () => {
    const c = costPerMillion(ops, { sampleRate: 0.001, retentionDays: 30 });
    // 1M spans / 500 per request = 2,000 requests; CPU 2,000 × 1 ms + 1M × 2 µs = 4,000 ms
    expect(line(c.edgeOnly, 'workerRequests').quantity).toBe(2000);
    expect(line(c.edgeOnly, 'workerRequests').usd).toBeCloseTo(0.0006, 10);
    expect(line(c.edgeOnly, 'workerCpuMs').quantity).toBeCloseTo(4000, 6);
    expect(line(c.edgeOnly, 'workerCpuMs').usd).toBeCloseTo(0.00008, 10);
  });

  it('prices the kept path per trace: DO requests and rows, one R2 put and get, D1 rows written and deleted', () => {
    const c = costPerMillion(ops, { sampleRate: 0.001, retentionDays: 30 });
    const k = c.keptPathOnly; // 1M kept spans = 100,000 traces
    expect(line(k, 'doRequests').quantity).toBe(600_000);
    expect(line(k, 'doRowsWritten').usd).toBeCloseTo(2, 10);
    expect(line(k, 'r2ClassA').usd).toBeCloseTo(0.45, 10);
    expect(line(k, 'r2ClassB').usd).toBeCloseTo(0.036, 10);
    expect(line(k, 'd1RowsWritten').quantity).toBe(1_000_000);
    // 100 MB kept for 30 days (0.9856 of a month) at $0.015 per GB-month
    expect(line(k, 'r2Storage').quantity).toBeCloseTo(0.1 * (30 / (365.25 / 12)), 10);
  });

  it('splits the same money per ingested and per kept span by the sample rate', () => {
    const policy = { sampleRate: 0.01, retentionDays: 365 };
    const c = costPerMillion(ops, policy);
    expect(c.ingested.usd).toBeCloseTo(c.edgeOnly.usd + 0.01 * c.keptPathOnly.usd, 12);
    expect(c.kept.usd).toBeCloseTo(c.ingested.usd / 0.01, 9);
    const all = costPerMillion(ops, { ...policy, sampleRate: 1 });
    expect(all.kept.usd).toBeCloseTo(all.ingested.usd, 12);
  });

  it('storage grows with retention and nothing else does', () => {
    const short = costPerMillion(ops, { sampleRate: 0.001, retentionDays: 30 }).keptPathOnly;
    const year = costPerMillion(ops, { sampleRate: 0.001, retentionDays: 365 }).keptPathOnly;
    expect(line(year, 'r2Storage').usd / line(short, 'r2Storage').usd).toBeCloseTo(365 / 30, 9);
    expect(line(year, 'r2ClassA').usd).toBe(line(short, 'r2ClassA').usd);
  });

  it('a month at scale: traffic of the month plus storage once the retention is full, plus the plan minimum', () => {
    const m = monthAtScale({ services: 10, machinesPerService: 10, requestsPerSecondPerMachine: 10, spansPerServiceRequest: 1, groupsPerService: 12 }, ops, {
      sampleRate: 0.1,
      retentionDays: 365.25,
    });
    expect(m.ingestedSpansPerSecond).toBe(1000);
    expect(m.keptSpansPerSecond).toBeCloseTo(100, 9);
    expect(m.keptTracesPerSecond).toBeCloseTo(10, 9);
    // a year of 100 spans/s at 100 B per span
    expect(m.storedGb.r2).toBeCloseTo((100 * 365.25 * 86_400 * 100) / 1e9, 6);
    const secondsPerMonth = (365.25 / 12) * 86_400;
    expect(line(m.traffic, 'workerRequests').quantity).toBeCloseTo((1000 * secondsPerMonth) / 500, 3);
    expect(line(m.traffic, 'r2Storage').usd).toBe(0);
    expect(m.totalUsd).toBeCloseTo(m.traffic.usd + m.storage.usd + MONTHLY_MINIMUM_USD, 9);
  });

  it('the metrics pipeline: RED CPU per span, shard requests and alarms, D1 rows per group, instance and service minute', () => {
    const m = costPerMillion(ops, policy, { counts: work, load }).metricsOnly;
    expect(line(m, 'workerCpuMs').quantity).toBeCloseTo(500, 9); // 1M × 500 ns
    // 2,000 ingest requests × 0.5 + 8 shards × 16⅔ minutes × 1 alarm
    expect(line(m, 'doRequests').quantity).toBeCloseTo(1000 + 8 * (1000 / 60), 9);
    expect(line(m, 'doRowsWritten').quantity).toBeCloseTo(8 * (1000 / 60) * 60, 9);
    // 1,000 group-minutes × 4 + 100 instance-minutes + 50 service-minutes
    expect(line(m, 'd1RowsWritten').quantity).toBeCloseTo(4150, 9);
    expect(line(m, 'd1RowsWritten').usd).toBeCloseTo(0.00415, 12);
    expect(line(m, 'd1RowsRead').quantity).toBeCloseTo(3000, 9);
    // 1 request/s over 8 shards, each keeping its shard active 80 ms: 1% of 8 × 1,000 s at 128 MB
    expect(line(m, 'doDuration').quantity).toBeCloseTo(8 * 1000 * 0.01 * 0.128, 9);
    // nothing of the trace path in it
    expect(line(m, 'r2ClassA').quantity).toBe(0);
    expect(line(m, 'workerRequests').quantity).toBe(0);
  });

  it('a shard whose requests overlap is billed for the wall clock, not for the sum of their waits', () => {
    const busy = { ...work, metricsActiveMsPerRequest: 1000 };
    const at = (w: SpanWorkCounts) => line(costPerMillion(ops, policy, { counts: w, load }).metricsOnly, 'doDuration').quantity;
    // 0.125 requests/s per shard × 1 s: active 12.5% of the time
    expect(at(busy)).toBeCloseTo(8 * 1000 * 0.125 * 0.128, 9);
    // 8 times the requests: every shard active all the time, and no more
    expect(at({ ...busy, metricsRequestsPerIngestRequest: 4 })).toBeCloseTo(8 * 1000 * 0.128, 9);
    expect(at({ ...busy, metricsRequestsPerIngestRequest: 40 })).toBeCloseTo(8 * 1000 * 0.128, 9);
  });

  it('the rate limiter: a DO request for each ask of the lease, billed while it answers, nothing stored', () => {
    const r = costPerMillion(ops, policy, { counts: work, load }).rateLimiterOnly;
    expect(line(r, 'doRequests').quantity).toBeCloseTo(200, 9); // 2,000 ingest requests × 0.1
    expect(line(r, 'doRequests').usd).toBeCloseTo(0.00003, 12);
    expect(line(r, 'doDuration').quantity).toBeCloseTo(200 * 0.001 * 0.128, 12);
    expect(line(r, 'doRowsWritten').quantity).toBe(0);
    const quiet = costPerMillion(ops, policy, { counts: { ...work, limiterRequestsPerIngestRequest: 1 }, load }).rateLimiterOnly;
    expect(quiet.usd).toBeCloseTo(10 * r.usd, 12);
  });

  it('counts the metrics and the limiter once per ingested span, with and without them side by side', () => {
    const c = costPerMillion(ops, policy, { counts: work, load });
    const perIngested = c.metricsOnly.usd + c.rateLimiterOnly.usd;
    expect(perIngested).toBeGreaterThan(0);
    expect(c.ingested.usd).toBeCloseTo(c.tracePath.ingested.usd + perIngested, 12);
    // keeping 1M spans at 0.1% means ingesting 1,000M: their metrics and limiter work too
    expect(c.kept.usd).toBeCloseTo(c.tracePath.kept.usd + perIngested / 0.001, 9);
    const without = costPerMillion(ops, policy);
    expect(without.ingested.usd).toBeCloseTo(c.tracePath.ingested.usd, 12);
    expect(without.kept.usd).toBeCloseTo(c.tracePath.kept.usd, 9);
    expect(without.metricsOnly.usd).toBe(0);
    expect(without.rateLimiterOnly.usd).toBe(0);
  });

  it('per-minute work weighs less per span as the same groups carry more spans', () => {
    const d1 = (l: Load) => line(costPerMillion(ops, policy, { counts: work, load: l }).metricsOnly, 'd1RowsWritten').quantity;
    expect(d1({ ...load, spansPerSecond: 2000 })).toBeCloseTo(d1(load) / 2, 9);
    const cpu = (l: Load) => line(costPerMillion(ops, policy, { counts: work, load: l }).metricsOnly, 'workerCpuMs').quantity;
    expect(cpu({ ...load, spansPerSecond: 2000 })).toBeCloseTo(cpu(load), 12);
    expect(() => costPerMillion(ops, policy, { counts: work, load: { ...load, spansPerSecond: 0 } })).toThrow(/spansPerSecond/);
  });

  it('a month at scale adds the metrics pipeline and the limiter to its traffic, with each shard\'s request rate', () => {
    const scale = { services: 10, machinesPerService: 10, requestsPerSecondPerMachine: 10, spansPerServiceRequest: 1, groupsPerService: 12 };
    expect(loadAtScale(scale)).toEqual({ spansPerSecond: 1000, services: 10, instances: 100, groups: 120 });
    const monthPolicy = { sampleRate: 0.1, retentionDays: 30 };
    const without = monthAtScale(scale, ops, monthPolicy);
    const withWork = monthAtScale(scale, ops, monthPolicy, work);
    expect(without.spanWork.usd).toBe(0);
    expect(withWork.spanWork.usd).toBeGreaterThan(0);
    expect(withWork.traffic.usd).toBeCloseTo(without.traffic.usd + withWork.spanWork.usd, 9);
    expect(withWork.storage.usd).toBe(without.storage.usd);
    // 1,000 spans/s in 500-span requests = 2 requests/s × 0.5 over 8 shards
    expect(withWork.metricsRequestsPerShardPerSecond).toBeCloseTo(0.125, 12);
    // the month's D1 rows of the metrics: (120 × 4 + 100 + 10) per minute
    const minutes = ((365.25 / 12) * 86_400) / 60;
    expect(line(withWork.spanWork, 'd1RowsWritten').quantity).toBeCloseTo(590 * minutes, 3);
  });

  it('every price names its source and the date it was read', () => {
    for (const p of Object.values(cloudflarePrices)) {
      expect(p.source).toMatch(/^https:\/\/developers\.cloudflare\.com\//);
      expect(p.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.usd).toBeGreaterThan(0);
    }
  });

  it('rejects a sample rate outside (0, 1]', () => {
    expect(() => costPerMillion(ops, { sampleRate: 0, retentionDays: 30 })).toThrow(/sampleRate/);
  });
});
