/**
 * The real stack for the browser tests: `npm start` (site build, D1 migrations, wrangler dev) on a
 * free port with its own state directory, and traces sent to it by the real OpenTelemetry SDK and
 * OTLP/HTTP protobuf exporter.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The browser tests keep to ports 8790–8799 (other work on this machine uses other ports). */
export const PORT_RANGE = [8790, 8799];

const canListen = (port) =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** `count` ports of the range that nothing listens on now. */
async function freePorts(count) {
  const out = [];
  for (let p = PORT_RANGE[0]; p <= PORT_RANGE[1] && out.length < count; p++) if (await canListen(p)) out.push(p);
  if (out.length < count) throw new Error(`fewer than ${count} free ports in ${PORT_RANGE.join('–')}`);
  return out;
}

/** `npm start` with its own state; `vars` are extra `--var NAME:VALUE` for wrangler dev. */
export async function startStack(vars = {}) {
  const [port, inspector] = await freePorts(2);
  const state = mkdtempSync(join(tmpdir(), 'edgetrace-browser-'));
  const extra = Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = spawn(
    'npm',
    ['start', '--', '--port', String(port), '--inspector-port', String(inspector), '--ip', '127.0.0.1', '--persist-to', state, '--var', 'SAMPLE_RATE:1', '--var', 'TRACE_IDLE_SECONDS:1', ...extra, '--show-interactive-dev-session=false'],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: 'true' } },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.on('exit', r));
  const running = () => child.exitCode === null && child.signalCode === null;
  // The server runs in its own process group (detached) so that stop() can end wrangler and
  // workerd with it; if this process ends first (a failed assertion, Ctrl-C), end the group too.
  const killGroup = () => {
    try {
      if (running()) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(state, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    killGroup();
    process.kill(process.pid, signal);
  };
  process.once('exit', killGroup);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stop = async () => {
    process.off('exit', killGroup);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (running()) {
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (running()) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (!running()) {
      await stop();
      throw new Error(`npm start exited early (${child.exitCode ?? child.signalCode}):\n${log}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet; keep polling until the deadline
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`edgetrace did not answer /healthz within 180 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, stop, log: () => log };
}

/**
 * One request through three services, sent with the real exporter:
 * frontend GET /checkout → checkout PlaceOrder (event, attributes) → payments Charge (error),
 * and checkout → postgres-less INSERT inside checkout: five spans. Returns the trace id and span count.
 */
export async function sendCheckoutTrace(url) {
  const exporters = [];
  const tracer = (name) => {
    const exporter = new OTLPTraceExporter({ url: `${url}/v1/traces` });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name, 'host.name': `${name}-host` }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    exporters.push(provider);
    return provider.getTracer(name);
  };
  const frontend = tracer('frontend');
  const checkout = tracer('checkout');
  const payments = tracer('payments');
  const root = frontend.startSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/checkout' } });
  const rootCtx = trace.setSpan(context.active(), root);
  const call = frontend.startSpan('POST checkout/place', { kind: SpanKind.CLIENT }, rootCtx);
  const place = checkout.startSpan('PlaceOrder', { kind: SpanKind.SERVER, attributes: { 'order.id': 'ord-4711', 'cart.items': 3 } }, trace.setSpan(rootCtx, call));
  place.addEvent('cart.validated', { 'cart.total': 129.5 });
  const placeCtx = trace.setSpan(rootCtx, place);
  const insert = checkout.startSpan('INSERT orders', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, placeCtx);
  await new Promise((r) => setTimeout(r, 5));
  insert.end();
  const charge = payments.startSpan('Charge', { kind: SpanKind.SERVER, attributes: { 'payment.provider': 'acme' } }, placeCtx);
  await new Promise((r) => setTimeout(r, 5));
  charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  charge.end();
  place.end();
  call.end();
  root.end();
  await Promise.all(exporters.map((p) => p.forceFlush()));
  await Promise.all(exporters.map((p) => p.shutdown()));
  return { traceId: root.spanContext().traceId, spanCount: 5 };
}

/** Polls until the finished trace can be read back (it is written once it has gone quiet). */
export async function waitStored(url, traceId, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/traces/${traceId}`);
    const text = await res.text();
    last = `${res.status} ${text.slice(0, 200)}`;
    if (res.ok && !text.includes('"partial":true')) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`trace ${traceId} was not stored within ${timeoutMs} ms; last answer: ${last}`);
}

/** Polls the search API until the trace is listed (it is indexed once it has gone quiet). */
export async function waitSearchable(url, traceId, service, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/search?service=${encodeURIComponent(service)}&lookback=1h&limit=50`);
    last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    if (res.ok && last.includes(traceId)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`trace ${traceId} was not searchable within ${timeoutMs} ms; last answer: ${last}`);
}
