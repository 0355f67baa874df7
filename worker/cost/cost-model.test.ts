import { describe, expect, it } from 'vitest';
import { bill, cloudflarePrices, costPerMillion, monthAtScale, MONTHLY_MINIMUM_USD, type OperationCounts, type PriceId } from './cost-model';

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
    const m = monthAtScale({ services: 10, machinesPerService: 10, requestsPerSecondPerMachine: 10, spansPerServiceRequest: 1 }, ops, {
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
