#!/usr/bin/env node
/**
 * Ingest throughput on loopback: several concurrent clients post OTLP/HTTP protobuf batches of
 * 512 spans (64 traces of 8 spans over 4 services, made by the OpenTelemetry SDK and serialised by
 * its own protobuf serializer) as fast as they are answered, and we count accepted spans per
 * second and the p50/p99 request latency. Every request carries fresh random trace ids, so
 * sampling sees real traffic (at SAMPLE_RATE 0.001 about 1 trace in 1000 goes to a Durable Object).
 *
 * Standalone: `node bench/ingest.mjs [--seconds S] [--clients N]` runs the hello-world Worker (the
 * ceiling), then edgetrace at SAMPLE_RATE 0.001 and 1, on ports 8820–8822, local state on tmpfs. bench/run.mjs imports
 * `loadTest` to share its stacks with the other stack benches.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { randomFillSync } from 'node:crypto';
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { FAST_STATE_ROOT, startEdgetrace, startHelloWorker } from './ingest-stack.mjs';

export const BATCH_SPANS = 512;
const TRACES_PER_BATCH = 64;

/**
 * One 512-span batch as a real service fleet exports it: gateway SERVER → CLIENT → auth SERVER →
 * db CLIENT → profile SERVER → db CLIENT ..., HTTP and database attributes, an event per trace,
 * an error now and then. Returns the protobuf bytes and where each trace id sits in them.
 */
export function makeTemplate(seed = 0) {
  const exporter = new InMemorySpanExporter();
  const tracers = ['api-gateway', 'auth', 'profile', 'recommendations'].map((name, i) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': name,
        'service.version': '1.4.2',
        'service.instance.id': `${name}-${seed}-${i}`,
        'host.name': `${name}-7f9c${i}`,
        'telemetry.sdk.language': 'nodejs',
        'deployment.environment.name': 'production',
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer(name, '1.0.0'),
  );
  for (let t = 0; t < TRACES_PER_BATCH; t++) {
    const user = `u${seed * 1000 + t}`;
    const root = tracers[0].startSpan('GET /users/:id/profile', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id/profile', 'url.path': `/users/${user}/profile`, 'http.response.status_code': 200, 'enduser.id': user },
    });
    let ctx = trace.setSpan(context.active(), root);
    for (let i = 1; i < BATCH_SPANS / TRACES_PER_BATCH; i++) {
      const svc = tracers[i % tracers.length];
      const client = i % 2 === 1;
      const s = svc.startSpan(
        client ? (i === 3 ? 'SELECT users' : 'POST /validate') : i === 2 ? 'validateToken' : 'GET /users/:id',
        {
          kind: client ? SpanKind.CLIENT : SpanKind.SERVER,
          attributes: client
            ? { 'server.address': 'db.internal', 'db.system.name': 'postgresql', 'db.query.text': 'SELECT id, name FROM users WHERE id = $1' }
            : { 'http.request.method': 'GET', 'http.route': '/users/:id', 'http.response.status_code': 200 },
        },
        ctx,
      );
      if (i === 4) s.addEvent('cache.miss', { 'cache.key': `user:${user}` });
      if (i === 5 && t % 20 === 0) s.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
      s.end();
      ctx = trace.setSpan(ctx, s);
    }
    root.end();
  }
  const spans = exporter.getFinishedSpans();
  const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
  const ids = [...new Set(spans.map((s) => s.spanContext().traceId))];
  /** offsets of every occurrence of each trace id (once per span) */
  const offsets = ids.map((id) => {
    const needle = Buffer.from(id, 'hex');
    const found = [];
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) found.push(at);
    return found;
  });
  return { bytes, offsets, spans: spans.length };
}

/** A fresh copy of the template with new random trace ids (the spans' ids may repeat: they are per trace). */
export function freshBody(template) {
  const body = Buffer.from(template.bytes);
  const ids = randomFillSync(Buffer.alloc(template.offsets.length * 16));
  template.offsets.forEach((list, i) => {
    for (const at of list) ids.copy(body, at, i * 16, i * 16 + 16);
  });
  return body;
}

const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

/**
 * `clients` concurrent clients post batches for `seconds` (after `warmupSeconds` not counted).
 * @returns {Promise<{ clients: number, seconds: number, requests: number, spans: number, spansPerSecond: number, p50Ms: number, p99Ms: number, statuses: Record<string, number> }>}
 */
export async function loadTest({ url, clients = 4, seconds = 15, warmupSeconds = 3, headers = {} }) {
  const templates = Array.from({ length: 8 }, (_, i) => makeTemplate(i));
  const target = new URL('/v1/traces', url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const post = (body) =>
    new Promise((resolve) => {
      const req = request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, ...headers } },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            if (res.statusCode !== 200) text += d;
          });
          // wrangler dev reloads the Worker when a source file changes and fails what is in flight
          res.on('end', () => resolve(res.statusCode === 503 && text.includes('restarted') ? '503 (Worker reloaded)' : (res.statusCode ?? 0)));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const latencies = [];
  const statuses = {};
  let spans = 0;
  const t0 = performance.now();
  const measureFrom = t0 + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let n = c; performance.now() < end; n += clients) {
        const body = freshBody(templates[n % templates.length]);
        const start = performance.now();
        const status = await post(body);
        if (start < measureFrom) continue;
        latencies.push(performance.now() - start);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) spans += BATCH_SPANS;
      }
    }),
  );
  const elapsed = (performance.now() - measureFrom) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    clients,
    seconds: elapsed,
    requests: latencies.length,
    spans,
    spansPerSecond: spans / elapsed,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    statuses,
  };
}

export const formatLoad = (label, r) =>
  `${label.padEnd(34)} ${Math.round(r.spansPerSecond).toString().padStart(7)} spans/s  ${(r.spansPerSecond / BATCH_SPANS).toFixed(1).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(1).padStart(6)} ms  p99 ${r.p99Ms.toFixed(1).padStart(6)} ms  (${r.requests} requests, statuses ${JSON.stringify(r.statuses)})`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const seconds = arg('--seconds', 15);
  const clients = arg('--clients', 4);
  console.log(`ingest: ${clients} clients, ${seconds} s each, OTLP protobuf ${BATCH_SPANS}-span batches (${makeTemplate().bytes.length} bytes)`);
  const hello = await startHelloWorker({ port: 8820, stateRoot: FAST_STATE_ROOT });
  const ceiling = await loadTest({ url: hello.url, clients, seconds }).finally(() => hello.stop());
  console.log(formatLoad('hello-world Worker (ceiling)', ceiling));
  for (const [port, rate] of [
    [8821, '0.001'],
    [8822, '1'],
  ]) {
    const stack = await startEdgetrace({ port, stateRoot: FAST_STATE_ROOT, vars: { SAMPLE_RATE: rate, TRACE_IDLE_SECONDS: '1', AUTH_REQUIRED: 'false' } });
    const r = await loadTest({ url: stack.url, clients, seconds }).finally(() => stack.stop());
    console.log(`${formatLoad(`edgetrace SAMPLE_RATE=${rate}`, r)}  = ${((100 * r.spansPerSecond) / ceiling.spansPerSecond).toFixed(1)}% of the ceiling`);
  }
}
