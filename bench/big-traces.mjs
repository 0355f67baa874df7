#!/usr/bin/env node
/**
 * Sends one big trace of each size to a running edgetrace the way a fleet of instrumented services
 * would: spans made by the OpenTelemetry SDK, serialised by its own OTLP protobuf serializer and
 * posted to `POST /v1/traces` in batches, in the order the spans ended. Then waits until
 * `/api/traces/{id}` answers with the stored (non-partial) trace holding every span, and prints the
 * ids, for `npm run bench:waterfall -- --url URL --ids …` to open them through the real path.
 *
 *   node bench/big-traces.mjs --url http://127.0.0.1:8795                 # 1,000, 10,000 and 100,000 spans
 *   node bench/big-traces.mjs --url http://127.0.0.1:8795 --sizes 5000 --batch 1000
 *
 * Shape: 8 services of 2 instances each; a SERVER span per handled request, CLIENT spans for its
 * calls to other services and to the database; nesting to depth 10; HTTP, RPC and database
 * attributes; an event on ~8% of spans and an error (status and exception event) on ~1%.
 * The trace should be sent with TRACE_IDLE_SECONDS shorter than the run and SAMPLE_RATE 1.
 */
import { SpanKind, SpanStatusCode, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    sizes: { type: 'string', default: '1000,10000,100000' },
    batch: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '7' },
    timeout: { type: 'string', default: '300' },
  },
});
if (!values.url) {
  console.error('usage: node bench/big-traces.mjs --url http://127.0.0.1:8795 [--sizes 1000,10000,100000] [--batch 2000]');
  process.exit(2);
}
const URL_BASE = values.url.replace(/\/$/, '');
// worker/ingest/limits.ts refuses more than 10,000 spans or 200,000 attributes/events/links a
// request and read-body.ts more than 8 MiB on the wire; the default batch stays far inside all three.
const BATCH = Math.min(10_000, Number(values.batch));
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 10;
/** calls that go to another service; the rest go to the database and end there */
const REMOTE_SHARE = 0.75;

/** mulberry32: a tiny seeded PRNG so the same command sends the same shapes. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES = [
  { name: 'frontend', routes: ['GET /', 'GET /checkout', 'GET /product/:id'] },
  { name: 'api-gateway', routes: ['POST /api/orders', 'GET /api/products', 'GET /api/cart'] },
  { name: 'checkout', routes: ['PlaceOrder', 'ValidateCart', 'ComputeTotals'], rpc: true },
  { name: 'payments', routes: ['Charge', 'FraudCheck', 'TokenizeCard'], rpc: true },
  { name: 'inventory', routes: ['Reserve', 'GetStock'], rpc: true },
  { name: 'users', routes: ['GetUser', 'GetSession'], rpc: true },
  { name: 'search', routes: ['GET /query', 'GET /suggest'] },
  { name: 'recommendations', routes: ['ListRecommendations'], rpc: true },
];
const QUERIES = [
  ['SELECT', 'orders', 'SELECT id, total FROM orders WHERE customer_id = $1'],
  ['SELECT', 'products', 'SELECT id, name, price FROM products WHERE id = ANY($1)'],
  ['UPDATE', 'stock', 'UPDATE stock SET reserved = reserved + $1 WHERE sku = $2'],
  ['INSERT', 'order_items', 'INSERT INTO order_items (order_id, sku, qty) VALUES ($1, $2, $3)'],
];

/** One tracer per service instance, all exporting into `exporter`. */
function tracers(exporter) {
  return SERVICES.map((svc, s) =>
    [0, 1].map((i) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({
          'service.name': svc.name,
          'service.version': `2.${s}.${i}`,
          'service.instance.id': `${svc.name}-${(s * 7919 + i * 104729).toString(16)}`,
          'host.name': `${svc.name}-${i}.prod.internal`,
          'deployment.environment.name': 'production',
          'telemetry.sdk.language': 'nodejs',
        }),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }).getTracer(svc.name, '1.0.0'),
    ),
  );
}

/**
 * The mean number of calls a SERVER span makes such that the tree reaches depth 10 with about `n`
 * spans: each server level grows by g = b × (share of calls that go to a service), and each call
 * adds a CLIENT and a SERVER level.
 */
function fanOut(n) {
  let lo = 1;
  let hi = 50;
  for (let k = 0; k < 60; k++) {
    const b = (lo + hi) / 2;
    const g = b * REMOTE_SHARE;
    let sum = 0;
    for (let j = 0, p = 1; 2 * j <= MAX_DEPTH; j++, p *= g) sum += p + (2 * j < MAX_DEPTH ? b * p : 0);
    if (sum < n) lo = b;
    else hi = b;
  }
  return lo;
}

/**
 * The tree of an `n`-span trace as plain nodes, breadth first (parents before children): even
 * depths are SERVER spans handling a request, odd depths CLIENT spans calling another service
 * (whose SERVER span is the child) or the database (a leaf). Times in ns from the trace's start;
 * children run one after another or side by side inside their parent.
 */
function shape(n, r) {
  const b = fanOut(n);
  const nodes = [{ parent: -1, depth: 0, service: 0, route: 0, remote: true, start: 0, end: 4e9 + n * 300_000 }];
  const queue = [0];
  const add = (p, remote) => {
    const parent = nodes[p];
    const node = { parent: p, depth: parent.depth + 1, service: parent.service, route: 0, remote, start: 0, end: 0 };
    if (node.depth % 2 === 1 && remote) {
      // a CLIENT span of the caller's service, naming the callee it calls
      node.callee = 1 + Math.floor(r() * (SERVICES.length - 1));
      if (node.callee === parent.service) node.callee = (node.callee % (SERVICES.length - 1)) + 1;
      node.route = Math.floor(r() * SERVICES[node.callee].routes.length);
    } else if (node.depth % 2 === 0) {
      node.service = parent.callee;
      node.route = parent.route;
    }
    nodes.push(node);
    queue.push(nodes.length - 1);
  };
  for (let q = 0; nodes.length < n; q++) {
    if (q >= queue.length) {
      // the random fan-out died out early: a random SERVER span that may go deeper makes more calls
      let p;
      do p = Math.floor(r() * nodes.length);
      while (nodes[p].depth >= MAX_DEPTH || nodes[p].depth % 2 === 1);
      queue.push(p);
    }
    const p = queue[q];
    const node = nodes[p];
    if (node.depth >= MAX_DEPTH || !node.remote) continue;
    if (node.depth % 2 === 1) {
      add(p, true); // the callee's SERVER span
      continue;
    }
    const k = Math.floor(r() * (2 * b + 1));
    for (let i = 0; i < k && nodes.length < n; i++) add(p, r() < REMOTE_SHARE);
  }
  const children = nodes.map(() => []);
  for (let i = 1; i < nodes.length; i++) children[nodes[i].parent].push(i);
  // a call cut off by the span budget before its SERVER span was made becomes a database call:
  // a CLIENT span without its server is what the assembly reports as a network failure
  for (let i = 0; i < nodes.length; i++) if (nodes[i].depth % 2 === 1 && children[i].length === 0) nodes[i].remote = false;
  // times, parents first (breadth-first order keeps them first)
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    const kids = children[i];
    if (kids.length === 0) continue;
    const span = node.end - node.start;
    if (node.depth % 2 === 1) {
      // the server span inside its client span, less the network legs
      const leg = Math.min(span / 4, 200_000 + r() * 800_000);
      Object.assign(nodes[kids[0]], { start: node.start + leg, end: node.end - leg });
      continue;
    }
    const sequential = r() < 0.6;
    const slot = span / kids.length;
    kids.forEach((c, j) => {
      const start = sequential ? node.start + j * slot + r() * slot * 0.1 : node.start + r() * span * 0.3;
      const dur = sequential ? slot * (0.5 + r() * 0.4) : (node.end - start) * (0.3 + r() * 0.6);
      Object.assign(nodes[c], { start, end: Math.max(start + 1000, start + dur) });
    });
  }
  return nodes;
}

/** [s, ns] of `ns` after `baseMs`; the epoch in ns is past 2^53, so seconds and ns are kept apart. */
const hrTime = (baseMs, ns) => {
  const within = Math.round((baseMs % 1000) * 1e6 + ns);
  return [Math.floor(baseMs / 1000) + Math.floor(within / 1e9), within % 1e9];
};

/** Makes the trace's spans with the SDK; returns them in the order they ended (as exporters send). */
function makeTrace(n, seed) {
  const r = rng(seed);
  const exporter = new InMemorySpanExporter();
  const byService = tracers(exporter);
  const nodes = shape(n, r);
  // the trace happened a minute ago, so its newest span is well inside the ingest clock checks
  const baseMs = Date.now() - 60_000 - nodes[0].end / 1e6;
  const sdkSpans = new Array(nodes.length);
  nodes.forEach((node, i) => {
    const svc = SERVICES[node.service];
    const tracer = byService[node.service][Math.floor(r() * 2)];
    const ctx = node.parent < 0 ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, sdkSpans[node.parent]);
    const server = node.depth % 2 === 0;
    let name;
    let kind;
    let attributes;
    if (server) {
      name = svc.routes[node.route];
      kind = SpanKind.SERVER;
      attributes = svc.rpc
        ? { 'rpc.system': 'grpc', 'rpc.service': `shop.${svc.name}.v1`, 'rpc.method': name, 'rpc.grpc.status_code': 0, 'network.peer.address': `10.0.${node.service}.${1 + Math.floor(r() * 200)}` }
        : { 'http.request.method': name.split(' ')[0], 'http.route': name.split(' ')[1], 'url.path': name.split(' ')[1].replace(':id', String(Math.floor(r() * 10_000))), 'http.response.status_code': 200, 'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)' };
    } else if (node.remote) {
      const callee = SERVICES[node.callee];
      const route = callee.routes[node.route];
      kind = SpanKind.CLIENT;
      if (callee.rpc) {
        name = `shop.${callee.name}.v1/${route}`;
        attributes = { 'rpc.system': 'grpc', 'rpc.service': `shop.${callee.name}.v1`, 'rpc.method': route, 'server.address': `${callee.name}.svc.cluster.local`, 'server.port': 50051 };
      } else {
        name = route.split(' ')[0];
        attributes = { 'http.request.method': route.split(' ')[0], 'url.full': `http://${callee.name}.svc.cluster.local:8080${route.split(' ')[1]}`, 'server.address': `${callee.name}.svc.cluster.local`, 'server.port': 8080, 'http.response.status_code': 200 };
      }
    } else {
      const [op, table, text] = QUERIES[Math.floor(r() * QUERIES.length)];
      name = `${op} ${table}`;
      kind = SpanKind.CLIENT;
      attributes = { 'db.system.name': 'postgresql', 'db.operation.name': op, 'db.collection.name': table, 'db.query.text': text, 'server.address': 'pg-primary.prod.internal' };
    }
    const span = tracer.startSpan(name, { kind, attributes, startTime: hrTime(baseMs, node.start) }, ctx);
    sdkSpans[i] = span;
    const mid = hrTime(baseMs, (node.start + node.end) / 2);
    if (i > 0 && r() < 0.01) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'deadline exceeded after 250ms' });
      span.addEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'deadline exceeded after 250ms', 'exception.stacktrace': 'TimeoutError: deadline exceeded\n    at Client.call (client.js:88:11)\n    at async handler (server.js:41:5)' }, mid);
      if (server && attributes['http.response.status_code']) span.setAttribute('http.response.status_code', 504);
    } else if (r() < 0.08) {
      span.addEvent(r() < 0.5 ? 'cache.miss' : 'retry', { 'cache.key': `k${i}`, attempt: 1 + Math.floor(r() * 3) }, mid);
    }
  });
  // end them in the order the work finished, which is the order a batch span processor exports them
  const order = nodes.map((_, i) => i).sort((a, b) => nodes[a].end - nodes[b].end);
  for (const i of order) sdkSpans[i].end(hrTime(baseMs, nodes[i].end));
  const spans = exporter.getFinishedSpans();
  return { traceId: spans[0].spanContext().traceId, spans, rootService: SERVICES[0].name, depth: Math.max(...nodes.map((x) => x.depth)) };
}

async function post(body) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${URL_BASE}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status === 200) {
      const partial = ProtobufTraceSerializer.deserializeResponse(bytes).partialSuccess;
      if (partial?.rejectedSpans) throw new Error(`${partial.rejectedSpans} spans rejected: ${partial.errorMessage}`);
      return;
    }
    // what an exporter retries (OTLP/HTTP spec: 429, 502, 503, 504), a few times
    if (![429, 502, 503, 504].includes(res.status) || attempt >= 5) throw new Error(`POST /v1/traces: HTTP ${res.status} ${new TextDecoder().decode(bytes).slice(0, 300)}`);
    await new Promise((ok) => setTimeout(ok, 500 * attempt));
  }
}

/** Waits until the stored trace answers with every span; the search index is polled first, as it is cheap. */
async function waitComplete(t, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const wanted = new Set(t.spans.map((s) => s.spanContext().spanId));
  let last = '';
  while (Date.now() < deadline) {
    const search = await fetch(`${URL_BASE}/api/search?service=${t.rootService}&lookback=1h&limit=50`).then((res) => res.json());
    const summary = search.data?.find((s) => s.traceId === t.traceId);
    last = summary ? `indexed with ${summary.spanCount} spans` : 'not indexed yet';
    if (summary && summary.spanCount >= n) {
      const res = await fetch(`${URL_BASE}/api/traces/${t.traceId}`);
      const body = await res.json();
      const got = body.data?.[0];
      const have = got ? got.spans.filter((s) => wanted.has(s.spanID)).length : 0;
      last = `HTTP ${res.status}, partial ${got?.partial}, ${have} of ${n} spans`;
      if (res.ok && got && got.partial === false && have === n) return { bytes: Number(res.headers.get('content-length')) || JSON.stringify(body).length, warnings: got.warnings };
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  throw new Error(`trace ${t.traceId}: not complete within ${timeoutMs / 1000} s (${last})`);
}

const sizes = values.sizes.split(',').map(Number);
const ids = [];
for (const n of sizes) {
  const t0 = performance.now();
  const t = makeTrace(n, Number(values.seed) + n);
  const made = performance.now();
  let requests = 0;
  let wire = 0;
  for (let i = 0; i < t.spans.length; i += BATCH) {
    const body = ProtobufTraceSerializer.serializeRequest(t.spans.slice(i, i + BATCH));
    if (body.length > MAX_BODY_BYTES) throw new Error(`a ${BATCH}-span batch is ${body.length} bytes, over the 8 MiB body limit: use a smaller --batch`);
    await post(body);
    requests++;
    wire += body.length;
  }
  const sent = performance.now();
  const stored = await waitComplete(t, n, Number(values.timeout) * 1000);
  const done = performance.now();
  console.error(
    `${n.toLocaleString('en')} spans (depth ${t.depth}): trace ${t.traceId}; made in ${Math.round(made - t0)} ms; ` +
      `sent in ${requests} requests (${(wire / 1e6).toFixed(1)} MB protobuf) in ${Math.round(sent - made)} ms; ` +
      `stored and readable after ${((done - sent) / 1000).toFixed(1)} s more; /api/traces answer ${(stored.bytes / 1e6).toFixed(1)} MB` +
      (stored.warnings ? `; warnings: ${stored.warnings.join(' | ')}` : ''),
  );
  ids.push(t.traceId);
}
// stdout: just the ids, for --ids
console.log(ids.join(','));
