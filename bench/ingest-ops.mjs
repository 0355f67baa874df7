/**
 * Billable operations of one kept trace in the notes' shape: 7 spans from 4 services, each
 * service exporting its own spans (so the trace reaches its Durable Object in 4 requests, ~100 ms
 * apart). The TraceAssembler counts what it does (durable/op-count.ts) and logs it when it writes
 * the trace; the rows it still holds are what its deleteAll removes when the late-span window
 * ends (counted from its SQLite file). Averages over `traces` traces; used by bench/run.mjs for
 * the cost model.
 */
import { randomBytes } from 'node:crypto';
import { heldRowsByTrace } from './storage.mjs';

const hex = (n) => randomBytes(n).toString('hex');
const str = (key, value) => ({ key, value: { stringValue: value } });
const SERVICES = ['api-gateway', 'auth', 'profile', 'recommendations'];

/** The 4 OTLP/JSON requests of one 7-span trace: gateway 2 spans, auth 2, profile 2, recommendations 1. */
function traceRequests() {
  const traceId = hex(16);
  const ids = Array.from({ length: 7 }, () => hex(8));
  const now = BigInt(Date.now()) * 1_000_000n;
  const owner = [0, 0, 1, 1, 2, 2, 3];
  const PARENT = [-1, 0, 1, 2, 0, 4, 0];
  const spans = ids.map((spanId, i) => ({
    traceId,
    spanId,
    ...(i > 0 ? { parentSpanId: ids[PARENT[i]] } : {}),
    // explicit randomness at the top of the range: kept at any SAMPLE_RATE above 0
    traceState: 'ot=rv:ffffffffffffff',
    name: ['GET /users/:id/profile', 'POST /validate', 'POST /validate', 'validateToken', 'GET /users/:id', 'SELECT users', 'GET /recommendations/:id'][i],
    kind: [2, 3, 2, 1, 2, 3, 2][i],
    startTimeUnixNano: String(now + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(now + BigInt(40 - i) * 1_000_000n),
    attributes: [str('http.request.method', 'GET'), str('http.route', '/users/:id')],
  }));
  const requests = SERVICES.map((service, s) =>
    JSON.stringify({
      resourceSpans: [{ resource: { attributes: [str('service.name', service), str('host.name', `${service}-1`)] }, scopeSpans: [{ spans: spans.filter((_, i) => owner[i] === s) }] }],
    }),
  );
  return { traceId, requests };
}

/**
 * Sends `traces` traces in the notes' shape and waits for each to be written; returns the sums
 * of the counted operations over them (divide by `traces`).
 * @param {{ url: string, stateDir: string, events: () => any[], traces?: number, timeoutMs?: number }} opts
 */
export async function measureTraceOps({ url, stateDir, events, traces = 20, timeoutMs = 60_000 }) {
  const made = Array.from({ length: traces }, traceRequests);
  await Promise.all(
    made.map(async (t) => {
      for (const body of t.requests) {
        const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`POST /v1/traces answered ${res.status}: ${await res.text()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
  const ids = new Set(made.map((t) => t.traceId));
  const started = Date.now();
  /** the newest flush event per trace: its counts cover everything the object did since it woke */
  let last = new Map();
  for (;;) {
    last = new Map();
    for (const e of events()) if (e.event === 'trace.flush' && ids.has(e.traceId) && (last.get(e.traceId)?.version ?? 0) <= e.version) last.set(e.traceId, e);
    if (last.size === ids.size) break;
    if (Date.now() - started > timeoutMs) throw new Error(`only ${last.size} of ${ids.size} traces were written within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const held = heldRowsByTrace(stateDir);
  const sum = { traces, spans: 0, rpcs: 0, alarms: 0, setAlarms: 0, sqlRowsWritten: 0, r2Gets: 0, r2Puts: 0, d1RowsWritten: 0, d1RowsRead: 0, flushMs: 0, heldRows: 0 };
  const flushMs = [];
  for (const e of last.values()) {
    sum.spans += e.spans;
    sum.rpcs += e.ops.doRequests;
    sum.alarms += e.ops.alarms;
    sum.setAlarms += e.ops.setAlarms;
    sum.sqlRowsWritten += e.ops.sqlRowsWritten;
    sum.r2Gets += e.ops.r2Gets;
    sum.r2Puts += e.ops.r2Puts;
    sum.d1RowsWritten += e.ops.d1RowsWritten;
    sum.d1RowsRead += e.ops.d1RowsRead ?? 0;
    sum.heldRows += held.get(e.traceId) ?? 0;
    flushMs.push(e.ms);
  }
  flushMs.sort((a, b) => a - b);
  // the model takes the median wall time of one flush
  sum.flushMs = flushMs[Math.floor(flushMs.length / 2)];
  return sum;
}

export const formatOps = (o) =>
  `per trace (7 spans in 4 requests, ${o.traces} traces): DO requests ${o.rpcs / o.traces} RPC + ${(o.alarms / o.traces).toFixed(1)} alarms (+1 to forget), ` +
  `SQLite rows written ${(o.sqlRowsWritten / o.traces).toFixed(1)} + setAlarm ${(o.setAlarms / o.traces).toFixed(1)} + ${(o.heldRows / o.traces).toFixed(1)} rows deleted at the end, ` +
  `R2 ${(o.r2Gets / o.traces).toFixed(1)} get + ${(o.r2Puts / o.traces).toFixed(1)} put, D1 rows written ${(o.d1RowsWritten / o.traces).toFixed(1)} + read ${(o.d1RowsRead / o.traces).toFixed(1)}, flush p50 ${o.flushMs} ms`;
