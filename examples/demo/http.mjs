/**
 * HTTP on loopback with trace context, instrumented by hand (no auto-instrumentation package is
 * installed): a server wrapper that extracts W3C `traceparent`/`tracestate` with the global
 * propagator and records a SERVER span, and a client call that records a CLIENT span and injects
 * its context into the outgoing headers. Attributes follow the OpenTelemetry HTTP semantic
 * conventions; times come from the service's own clock (see telemetry.mjs).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { createServer, request } from 'node:http';

/**
 * @typedef {ReturnType<typeof import('./telemetry.mjs').serviceTelemetry>} Telemetry
 * @typedef {{ status: number, body?: unknown }} Reply
 * @typedef {(req: { method: string, path: string, query: URLSearchParams, params: Record<string,string>, headers: import('node:http').IncomingHttpHeaders, body: unknown }) => Promise<Reply>} Handler
 */

/**
 * Starts an HTTP server on 127.0.0.1 (port 0: the OS picks a free one) for `routes`
 * ("METHOD /path/:param" → handler). Every request gets a SERVER span named "METHOD route".
 * @param {Telemetry} svc
 * @param {Record<string, Handler>} routes
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function serve(svc, routes) {
  const table = Object.entries(routes).map(([key, handler]) => {
    const [method, route] = key.split(' ');
    const names = [];
    const pattern = new RegExp(`^${route.replace(/:(\w+)/g, (_, n) => (names.push(n), '([^/]+)'))}$`);
    return { method, route, pattern, names, handler };
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const hit = table.map((r) => ({ r, m: r.method === req.method ? r.pattern.exec(url.pathname) : null })).find((x) => x.m);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = hit?.r.route ?? url.pathname;
    const span = svc.startSpan(
      `${req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method ?? 'GET',
          'http.route': route,
          'url.path': url.pathname,
          'url.scheme': 'http',
          'server.address': '127.0.0.1',
          'network.peer.address': req.socket.remoteAddress ?? '',
          'user_agent.original': req.headers['user-agent'] ?? '',
        },
      },
      parent,
    );
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      const params = hit ? Object.fromEntries(hit.r.names.map((n, i) => [n, decodeURIComponent(hit.m[i + 1])])) : {};
      const run = hit
        ? context.with(trace.setSpan(parent, span), () => hit.r.handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, params, headers: req.headers, body }))
        : Promise.resolve({ status: 404, body: { error: 'not found' } });
      run
        .catch((err) => {
          span.recordException(err, svc.now());
          return { status: 500, body: { error: err.message } };
        })
        .then((reply) => {
          span.setAttribute('http.response.status_code', reply.status);
          // a 5xx is the server's fault; a 4xx is the caller's (the server span stays unset)
          if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${reply.status}` });
          const out = JSON.stringify(reply.body ?? {});
          res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
          res.end(out);
          svc.endSpan(span);
        });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // kept-alive connections from the other services would hold close() open until they time out
        server.closeIdleConnections();
      }),
  };
}

/**
 * Calls another service inside a CLIENT span (child of the active span), with the span's context
 * injected as W3C trace context. Resolves with the status and parsed body; a network error or a
 * 4xx/5xx marks the client span as an error, as the HTTP client conventions say.
 * @param {Telemetry} svc
 * @param {{ method?: string, url: string, peer: string, route: string, body?: unknown, headers?: Record<string,string> }} call
 * @returns {Promise<{ status: number, body: any }>}
 */
export function callService(svc, call) {
  const method = call.method ?? 'GET';
  const target = new URL(call.url);
  const parent = context.active();
  const span = svc.startSpan(
    `${method} ${call.route}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.full': target.href,
        'server.address': target.hostname,
        'server.port': Number(target.port),
        'peer.service': call.peer,
      },
    },
    parent,
  );
  const headers = { 'content-type': 'application/json', ...(call.headers ?? {}) };
  propagation.inject(trace.setSpan(parent, span), headers);
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise((resolve) => {
    const finish = (status, body, err) => {
      if (status) span.setAttribute('http.response.status_code', status);
      if (err) {
        span.recordException(err, svc.now());
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      } else if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      svc.endSpan(span);
      resolve({ status, body });
    };
    const req = request(target, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        finish(res.statusCode ?? 0, text ? JSON.parse(text) : undefined, null);
      });
    });
    req.on('error', (err) => finish(0, undefined, err));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
