#!/usr/bin/env node
/**
 * Freshness: time from the last span of a trace being acknowledged by the edge to the trace being
 * searchable (`GET /api/traces?service=...` returns it, written, not partial). Each probe is a
 * 5-span trace of its own service name, posted in one OTLP request; the search is polled every
 * 50 ms (the probes carry tracestate `ot=rv:ffffffffffffff`, so any SAMPLE_RATE keeps them). The figure is TRACE_IDLE_SECONDS (the quiet time a trace waits for more spans) plus the
 * alarm, the assembly and the R2/D1 writes; the bench runs with TRACE_IDLE_SECONDS=1.
 *
 * Standalone: `node bench/freshness.mjs [--probes N]` starts edgetrace on port 8825.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { FAST_STATE_ROOT, startEdgetrace } from './ingest-stack.mjs';

const hex = (bytes) => randomBytes(bytes).toString('hex');
const str = (key, value) => ({ key, value: { stringValue: value } });

/** A 5-span trace of service `service`, ending now. */
function probeTrace(service) {
  const traceId = hex(16);
  const end = BigInt(Date.now()) * 1_000_000n;
  const ids = Array.from({ length: 5 }, () => hex(8));
  const spans = ids.map((spanId, i) => ({
    traceId,
    spanId,
    ...(i > 0 ? { parentSpanId: ids[i - 1] } : {}),
    // explicit randomness at the top of the range: kept at any SAMPLE_RATE above 0
    traceState: 'ot=rv:ffffffffffffff',
    name: i === 0 ? 'GET /probe' : `step ${i}`,
    kind: i === 0 ? 2 : 1,
    startTimeUnixNano: String(end - BigInt(50 - i * 5) * 1_000_000n),
    endTimeUnixNano: String(end - BigInt(i) * 1_000_000n),
    attributes: [str('http.route', '/probe')],
  }));
  return { traceId, body: { resourceSpans: [{ resource: { attributes: [str('service.name', service)] }, scopeSpans: [{ spans }] }] } };
}

/**
 * Posts `probes` traces one after the other and times each until search returns it.
 * @returns {Promise<{ ms: number[], p50Ms: number, maxMs: number }>}
 */
export async function measureFreshness({ url, probes = 5, timeoutMs = 60_000, headers = {} }) {
  const ms = [];
  for (let i = 0; i < probes; i++) {
    const service = `freshness-probe-${hex(4)}`;
    const { traceId, body } = probeTrace(service);
    const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`probe ${i}: POST /v1/traces answered ${res.status}: ${await res.text()}`);
    const acked = performance.now();
    for (;;) {
      const r = await fetch(`${url}/api/traces?service=${service}&limit=1`, { headers });
      const found = r.status === 200 ? (await r.json()).data?.[0] : undefined;
      if (found && found.traceID === traceId && !found.partial) break;
      if (performance.now() - acked > timeoutMs) throw new Error(`probe ${i}: trace ${traceId} not searchable after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    ms.push(performance.now() - acked);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { ms, p50Ms: sorted[Math.floor(sorted.length / 2)], maxMs: sorted[sorted.length - 1] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--probes');
  const probes = i > 0 ? Number(process.argv[i + 1]) : 5;
  const stack = await startEdgetrace({ port: 8825, stateRoot: FAST_STATE_ROOT, vars: { SAMPLE_RATE: '1', TRACE_IDLE_SECONDS: '1', AUTH_REQUIRED: 'false' } });
  try {
    const f = await measureFreshness({ url: stack.url, probes });
    console.log(`freshness (TRACE_IDLE_SECONDS=1): p50 ${f.p50Ms.toFixed(0)} ms, max ${f.maxMs.toFixed(0)} ms over ${probes} probes [${f.ms.map((x) => x.toFixed(0)).join(', ')}]`);
  } finally {
    await stack.stop();
  }
}
