/**
 * The traffic the search benchmark indexes: a deterministic generator of realistic traces (30
 * services of skewed popularity, 4 to 20 spans across 2 to 7 services, HTTP, database, RPC and
 * peer attributes, ~2% failing, log-normal durations, starts spread over a week). Shared by
 * scripts/gen-index.ts, which writes them, and bench/search.ts, which searches for them.
 */
import type { AnyValue, KeyValue, Span, SpanId, TraceId, TraceSummary, UnixNanos } from '../worker/span/model';
import { seededRandom as rng } from '../worker/seeded-random';

export const SERVICES = [
  'frontend', 'gateway', 'auth', 'cart', 'checkout', 'payment', 'catalog', 'search', 'recommend', 'inventory',
  'shipping', 'email', 'user', 'profile', 'orders', 'pricing', 'tax', 'currency', 'ads', 'review',
  'media', 'notify', 'billing', 'fraud', 'ledger', 'report', 'export', 'geo', 'session', 'config',
];
export const OPS_PER_SERVICE = 8;
export const ROUTE = (service: string, op: number) => `/${service}/${['items', 'list', 'detail', 'update', 'create', 'status', 'batch', 'health'][op]}`;
export const OPERATION = (service: string, op: number) => `${op % 3 === 0 ? 'POST' : 'GET'} ${ROUTE(service, op)}`;
export const STATUS_CODES = [200, 404, 500, 503] as const;
export const DB_SYSTEMS = ['postgresql', 'redis', 'mysql'];
export const WEEK_US = 7 * 86_400_000_000;

/** A service index skewed towards the first ones (the popular services of a real system). */
const skewed = (r: () => number) => Math.min(SERVICES.length - 1, Math.floor(SERVICES.length * r() * r()));
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const s = (v: string): AnyValue => ({ stringValue: v });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

export interface GeneratedTrace {
  summary: TraceSummary;
  spans: Span[];
}

/** Trace number `i` of a run whose newest trace starts at `endUs`. */
export function generateTrace(i: number, endUs: number): GeneratedTrace {
  const r = rng(i * 2654435761 + 17);
  const traceId = (hex(i + 1, 16) + hex(Math.floor(r() * 2 ** 32), 8) + hex(Math.floor(r() * 2 ** 32), 8)) as TraceId;
  const startUs = endUs - Math.floor(r() * WEEK_US);
  // log-normal duration, median ~40 ms, a long tail past seconds
  const durationUs = Math.max(50, Math.round(Math.exp(Math.log(40_000) + 1.3 * Math.sqrt(-2 * Math.log(r() || 1e-9)) * Math.cos(2 * Math.PI * r()))));
  const failed = r() < 0.02;
  const spanCount = 4 + Math.floor(r() * 17);
  const services = [skewed(r)];
  const serviceCount = 2 + Math.floor(r() * 6);
  while (services.length < serviceCount) services.push(skewed(r));
  const spans: Span[] = [];
  const counts = new Map<string, number>();
  for (let k = 0; k < spanCount; k++) {
    const service = SERVICES[k === 0 ? services[0]! : services[Math.floor(r() * services.length)]!]!;
    const op = Math.floor(r() * OPS_PER_SERVICE);
    const kind = k === 0 ? 2 : ([2, 3, 1] as const)[Math.floor(r() * 3)]!;
    const attributes: KeyValue[] = [];
    if (kind === 2) {
      const status = r() < 0.93 ? 200 : STATUS_CODES[1 + Math.floor(r() * 3)]!;
      attributes.push(
        kv('http.request.method', s(op % 3 === 0 ? 'POST' : 'GET')),
        kv('http.route', s(ROUTE(service, op))),
        kv('url.path', s(`${ROUTE(service, op)}/${Math.floor(r() * 50_000)}`)),
        kv('http.response.status_code', { intValue: String(status) }),
      );
    } else if (kind === 3) {
      const peer = SERVICES[skewed(r)]!;
      attributes.push(kv('peer.service', s(peer)), kv('rpc.method', s(`${peer}.Call${op}`)));
      if (r() < 0.3) attributes.push(kv('db.system', s(DB_SYSTEMS[Math.floor(r() * DB_SYSTEMS.length)]!)));
    }
    const offset = k === 0 ? 0 : Math.floor(r() * durationUs * 0.5);
    const length = k === 0 ? durationUs : Math.max(1, Math.floor(r() * (durationUs - offset)));
    spans.push({
      traceId,
      spanId: hex(k + 1, 16) as SpanId,
      ...(k === 0 ? {} : { parentSpanId: hex(1 + Math.floor(r() * k), 16) as SpanId }),
      name: OPERATION(service, op),
      kind,
      service,
      resource: { attributes: [kv('service.name', s(service)), kv('host.name', s(`${service}-${Math.floor(r() * 4)}`))] },
      startTimeUnixNano: String(BigInt(startUs + offset) * 1000n) as UnixNanos,
      endTimeUnixNano: String(BigInt(startUs + offset + length) * 1000n) as UnixNanos,
      attributes,
      events: [],
      links: [],
      status: { code: failed && k === spanCount - 1 ? 2 : 0 },
    });
    counts.set(service, (counts.get(service) ?? 0) + 1);
  }
  const summary: TraceSummary = {
    traceId,
    startTimeUnixNano: String(BigInt(startUs) * 1000n) as UnixNanos,
    durationNanos: String(BigInt(durationUs) * 1000n) as TraceSummary['durationNanos'],
    rootService: spans[0]!.service,
    rootOperation: spans[0]!.name,
    spanCount,
    errorCount: failed ? 1 : 0,
    orphanCount: 0,
    services: Object.fromEntries(counts),
    sampleRate: 0.001,
    adjustedCount: 1000,
    version: 1,
  };
  return { summary, spans };
}
