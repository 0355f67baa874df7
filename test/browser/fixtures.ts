/**
 * Deterministic Jaeger-JSON traces of any size for unit tests, the browser tests' "open a file"
 * path and the waterfall benchmark: several services, nested calls, errors, events, a skew-adjusted
 * span, a late span and an orphan whose parent never arrived. Pure: same seed, same trace.
 */

export interface FixtureTag {
  key: string;
  type: string;
  value: string | number | boolean;
}
export interface FixtureSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  flags: number;
  startTime: number;
  duration: number;
  tags: FixtureTag[];
  logs: Array<{ timestamp: number; fields: FixtureTag[] }>;
  processID: string;
  warnings: string[] | null;
  edgetrace?: Record<string, unknown>;
}
export interface FixtureTrace {
  traceID: string;
  spans: FixtureSpan[];
  processes: Record<string, { serviceName: string; tags: FixtureTag[] }>;
  warnings: string[];
}

export const FIXTURE_SERVICES = ['frontend', 'api-gateway', 'checkout', 'payments', 'inventory', 'users', 'search', 'postgres'] as const;
const OPS: Record<string, string[]> = {
  frontend: ['GET /', 'GET /checkout', 'render page'],
  'api-gateway': ['POST /api/orders', 'GET /api/products', 'auth'],
  checkout: ['PlaceOrder', 'ValidateCart', 'compute totals'],
  payments: ['Charge', 'fraud check', 'tokenize card'],
  inventory: ['Reserve', 'GetStock'],
  users: ['GetUser', 'GetSession'],
  search: ['Query', 'rank results'],
  postgres: ['SELECT', 'INSERT', 'UPDATE'],
};

/** mulberry32: a tiny seeded PRNG so fixtures are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);

export interface FixtureOptions {
  spans: number;
  seed?: number;
  /** µs since the epoch of the root's start */
  startUs?: number;
  traceId?: string;
  /** include a span whose parent is missing (default true) */
  orphan?: boolean;
}

export const ORPHAN_MISSING_PARENT = 'deadbeefdeadbeef';

export function makeTrace(opts: FixtureOptions): FixtureTrace {
  const r = rng(opts.seed ?? 1);
  const n = Math.max(1, opts.spans);
  const traceID = opts.traceId ?? hex(0xabc0000 + (opts.seed ?? 1), 16) + hex(n, 16);
  const start = opts.startUs ?? 1_764_000_000_000_000;
  const processes: FixtureTrace['processes'] = {};
  FIXTURE_SERVICES.forEach((s, i) => {
    processes[`p${i + 1}`] = {
      serviceName: s,
      tags: [
        { key: 'host.name', type: 'string', value: `${s}-${i}.local` },
        { key: 'service.instance.id', type: 'string', value: `${s}-${hex(i * 7919, 6)}` },
      ],
    };
  });
  const spans: FixtureSpan[] = [];
  // Breadth-ish growth: each new span picks a parent among recent spans, which yields a tree of
  // realistic depth (about log(n) to 12) and fan-out.
  const total = 60_000 + Math.floor(n * 40); // µs: bigger traces take longer
  const spanId = (i: number) => hex(i + 1, 16);
  const mk = (i: number, parent: number, svc: number, startUs: number, dur: number): FixtureSpan => {
    const service = FIXTURE_SERVICES[svc]!;
    const ops = OPS[service]!;
    const op = ops[Math.floor(r() * ops.length)]!;
    const kind = svc === 0 && parent < 0 ? 'server' : r() < 0.5 ? 'server' : 'client';
    return {
      traceID,
      spanID: spanId(i),
      operationName: op,
      references: parent >= 0 ? [{ refType: 'CHILD_OF', traceID, spanID: spanId(parent) }] : [],
      flags: 1,
      startTime: startUs,
      duration: Math.max(1, Math.round(dur)),
      tags: [
        { key: 'span.kind', type: 'string', value: kind },
        { key: 'http.status_code', type: 'int64', value: 200 },
        { key: 'customer.id', type: 'string', value: `c-${Math.floor(r() * 50)}` },
      ],
      logs: [],
      processID: `p${svc + 1}`,
      warnings: null,
    };
  };
  spans.push(mk(0, -1, 0, start, total));
  const depthOf = [0];
  const parentOf = [-1];
  const svcOf = [0];
  for (let i = 1; i < n; i++) {
    // Parent: a recent span (locality gives depth), never deeper than 12.
    // Half the time a recent span (locality gives depth), else one biased to the early, shallow
    // spans (gives breadth, like fan-out from a handler).
    let parent = r() < 0.5 ? Math.max(0, i - 1 - Math.floor(r() * Math.min(i, 6))) : Math.floor(r() * r() * i);
    while (depthOf[parent]! >= 12) parent = parentOf[parent]!;
    const p = spans[parent]!;
    const pEnd = p.startTime + p.duration;
    const s0 = p.startTime + Math.floor(r() * p.duration * 0.7);
    const dur = Math.max(1, (pEnd - s0) * (0.15 + r() * 0.5));
    // Most calls stay in the caller's service; the rest go to another one.
    const svc = r() < 0.6 ? svcOf[parent]! : 1 + Math.floor(r() * (FIXTURE_SERVICES.length - 1));
    spans.push(mk(i, parent, svc, s0, dur));
    depthOf.push(depthOf[parent]! + 1);
    parentOf.push(parent);
    svcOf.push(svc);
  }
  // Errors on about 2% of spans, and events on about 10%.
  spans.forEach((s, i) => {
    if (i > 0 && i % 47 === 3) {
      s.tags.push({ key: 'error', type: 'bool', value: true });
      s.tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
      s.tags.push({ key: 'otel.status_description', type: 'string', value: 'upstream timed out' });
      s.logs.push({
        timestamp: s.startTime + Math.floor(s.duration / 2),
        fields: [
          { key: 'event', type: 'string', value: 'exception' },
          { key: 'exception.type', type: 'string', value: 'TimeoutError' },
          { key: 'exception.message', type: 'string', value: 'deadline exceeded after 250ms' },
        ],
      });
    } else if (i % 10 === 1) {
      s.logs.push({
        timestamp: s.startTime + Math.floor(s.duration / 4),
        fields: [
          { key: 'event', type: 'string', value: 'cache miss' },
          { key: 'cache.key', type: 'string', value: `k${i}` },
        ],
      });
    }
  });
  if (n >= 3) {
    spans[2]!.edgetrace = { skewUs: 1500, originalStartTime: spans[2]!.startTime - 1500 };
    spans[2]!.warnings = ['clock skew adjusted by +1.5ms'];
    spans[1]!.edgetrace = { network: { requestUs: 420, responseUs: 380 } };
  }
  if (n >= 5) spans[n - 1]!.edgetrace = { ...(spans[n - 1]!.edgetrace ?? {}), late: true };
  const warnings: string[] = [];
  if ((opts.orphan ?? true) && n >= 4) {
    const o = spans[n - 2]!;
    o.references = [{ refType: 'CHILD_OF', traceID, spanID: ORPHAN_MISSING_PARENT }];
    o.edgetrace = { ...(o.edgetrace ?? {}), orphan: true };
    warnings.push('1 span references a parent that never arrived');
  }
  return { traceID, spans, processes, warnings };
}

/** The Jaeger API envelope, as `GET /api/traces/{id}` sends it (and as the site downloads it). */
export const envelope = (trace: FixtureTrace) => ({ data: [trace], total: 0, limit: 0, offset: 0, errors: null });
