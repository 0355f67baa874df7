/**
 * The demo's services, each a real HTTP server on loopback with its own OpenTelemetry resource
 * and exporter, as in the original notes: an API gateway, an auth service (validateToken), a
 * user/profile service with its database client spans, and a recommendations service whose
 * clock runs 200 ms ahead. The database is simulated (a timed wait), everything else is real:
 * HTTP calls, W3C context propagation, OTLP protobuf export.
 *
 * Scenario knobs travel the way a real system's would: the caller's bearer token decides whether
 * validateToken fails, query parameters ask the profile service to be slow, to fail or to write
 * an audit span whose export is delayed, and `x-demo-scenario` tags the gateway's root span.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { callService, serve } from './http.mjs';
import { LATE_ATTR, RESEND_ATTR, serviceTelemetry } from './telemetry.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const between = (lo, hi) => lo + Math.random() * (hi - lo);

/** Names of the services, as their `service.name`. */
export const SERVICE_NAMES = ['api-gateway', 'auth', 'profile', 'recommendations'];
/** How far ahead the recommendations service's clock runs. */
export const SKEW_MS = 200;

/**
 * A database client span (OpenTelemetry database conventions) around a simulated query.
 * @param {ReturnType<typeof serviceTelemetry>} svc
 */
async function dbQuery(svc, { table, statement, ms, fail }) {
  const span = svc.startSpan(`SELECT ${table}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system.name': 'postgresql',
      'db.namespace': 'demo',
      'db.collection.name': table,
      'db.operation.name': 'SELECT',
      'db.query.text': statement,
      'server.address': 'db.internal',
      'server.port': 5432,
    },
  });
  await sleep(ms);
  if (fail) {
    const err = new Error('connection reset by peer');
    err.name = 'ConnectionResetError';
    span.recordException(err, svc.now());
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    svc.endSpan(span);
    throw err;
  }
  span.setAttribute('db.response.returned_rows', 1);
  svc.endSpan(span);
}

/**
 * Starts the four services. `opts` are the telemetry options shared by all of them.
 * @param {{ target: string, headers: Record<string,string>, keepAll: boolean, lateMs: number, log: (line: string) => void }} opts
 */
export async function startServices(opts) {
  const tel = (name, extra = {}) => serviceTelemetry({ ...opts, name, ...extra });
  const auth = tel('auth');
  const profile = tel('profile');
  const recs = tel('recommendations', { clockOffsetMs: SKEW_MS });
  const gateway = tel('api-gateway');

  const authServer = await serve(auth, {
    'POST /validate': async ({ body }) => {
      const token = String(body?.token ?? '');
      const span = auth.startSpan('validateToken', { kind: SpanKind.INTERNAL, attributes: { 'auth.token.kind': 'jwt' } });
      return context.with(trace.setSpan(context.active(), span), async () => {
        await dbQuery(auth, { table: 'sessions', statement: 'SELECT user_id, expires_at FROM sessions WHERE token_hash = $1', ms: between(1, 4) });
        if (token.startsWith('expired-')) {
          const err = new Error('token expired');
          err.name = 'TokenExpiredError';
          span.recordException(err, auth.now());
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'token expired' });
          span.setAttribute('auth.result', 'expired');
          auth.endSpan(span);
          return { status: 401, body: { error: 'token expired' } };
        }
        span.setAttribute('auth.result', 'valid');
        span.setAttribute('enduser.id', token.replace(/^valid-/, ''));
        auth.endSpan(span);
        return { status: 200, body: { userId: token.replace(/^valid-/, '') } };
      });
    },
  });

  const profileServer = await serve(profile, {
    'GET /users/:id': async ({ params, query }) => {
      const slow = query.get('slow') === '1';
      const fail = query.get('fail') === '1';
      trace.getActiveSpan()?.setAttribute('enduser.id', params.id);
      await dbQuery(profile, {
        table: 'users',
        statement: 'SELECT id, name, avatar_url, plan FROM users WHERE id = $1',
        ms: slow ? between(1200, 2200) : between(2, 12),
        fail,
      });
      if (query.get('late') === '1') {
        // written last, and its export is held back: it reaches the edge after the trace was written
        const audit = profile.startSpan('audit.write', { kind: SpanKind.INTERNAL, attributes: { [LATE_ATTR]: true, 'audit.event': 'profile.read' } });
        await sleep(between(1, 3));
        profile.endSpan(audit);
      }
      return { status: 200, body: { id: params.id, name: `User ${params.id}`, plan: 'pro' } };
    },
    'POST /reports/:id/export': async ({ params, query }) => {
      // a large trace: one database span per report row, thousands of them
      const rows = Number(query.get('rows') ?? '2000');
      const build = profile.startSpan('build report', { kind: SpanKind.INTERNAL, attributes: { 'report.id': params.id, 'report.rows': rows } });
      let t = profile.now();
      const ctx = trace.setSpan(context.active(), build);
      for (let i = 0; i < rows; i++) {
        const ms = between(0.1, 0.5);
        const row = profile.startSpan(
          'SELECT order_lines',
          {
            kind: SpanKind.CLIENT,
            startTime: t,
            attributes: { 'db.system.name': 'postgresql', 'db.collection.name': 'order_lines', 'db.operation.name': 'SELECT', 'report.row': i },
          },
          ctx,
        );
        profile.endSpan(row, t + ms);
        t += ms + 0.02;
      }
      await sleep(Math.max(0, t - profile.now()));
      profile.endSpan(build);
      return { status: 200, body: { id: params.id, rows } };
    },
  });

  const recsServer = await serve(recs, {
    'GET /recommendations/:id': async ({ params }) => {
      const rank = recs.startSpan('rank candidates', { kind: SpanKind.INTERNAL, attributes: { 'recs.candidates': 50, 'enduser.id': params.id } });
      await sleep(between(3, 10));
      recs.endSpan(rank);
      return { status: 200, body: { items: ['a', 'b', 'c'] } };
    },
  });

  /** validates the caller's token with the auth service; null when it is accepted */
  const authorize = async (headers) => {
    const token = String(headers.authorization ?? '').replace(/^Bearer /, '');
    const r = await callService(gateway, { method: 'POST', url: `${authServer.url}/validate`, route: '/validate', peer: 'auth', body: { token } });
    return r.status === 200 ? null : { status: r.status === 401 ? 401 : 502, body: { error: 'unauthorized' } };
  };
  /** tags the root span and returns the trace id to the caller, as a `traceresponse` would */
  const tagRoot = (headers) => {
    const span = trace.getActiveSpan();
    const scenario = String(headers['x-demo-scenario'] ?? 'normal');
    span?.setAttribute('demo.scenario', scenario);
    if (scenario === 'retried-export') span?.setAttribute(RESEND_ATTR, true);
    return span?.spanContext().traceId ?? '';
  };

  const gatewayServer = await serve(gateway, {
    'GET /users/:id/profile': async ({ params, query, headers }) => {
      const traceId = tagRoot(headers);
      const denied = await authorize(headers);
      if (denied) return { ...denied, body: { ...denied.body, traceId } };
      const qs = new URLSearchParams();
      for (const k of ['slow', 'fail', 'late']) if (query.get(k) === '1') qs.set(k, '1');
      const [user] = await Promise.all([
        callService(gateway, { url: `${profileServer.url}/users/${params.id}?${qs}`, route: '/users/:id', peer: 'profile' }),
        callService(gateway, { url: `${recsServer.url}/recommendations/${params.id}`, route: '/recommendations/:id', peer: 'recommendations' }),
      ]);
      if (query.get('unreachable') === '1') {
        // a dependency that is down: a failed client span with no server span under it
        await callService(gateway, { url: 'http://127.0.0.1:9/stock', route: '/stock', peer: 'inventory' });
      }
      return { status: user.status === 200 ? 200 : 502, body: { traceId, user: user.body } };
    },
    'GET /users/:id/friends': async ({ params, query, headers }) => {
      const traceId = tagRoot(headers);
      const denied = await authorize(headers);
      if (denied) return { ...denied, body: { ...denied.body, traceId } };
      const count = Number(query.get('count') ?? '32');
      const ids = Array.from({ length: count }, (_, i) => `${params.id}-f${i}`);
      const results = [];
      // a fan-out of dozens of calls, eight in flight at a time
      for (let i = 0; i < ids.length; i += 8)
        results.push(...(await Promise.all(ids.slice(i, i + 8).map((id) => callService(gateway, { url: `${profileServer.url}/users/${id}`, route: '/users/:id', peer: 'profile' })))));
      return { status: 200, body: { traceId, friends: results.length } };
    },
    'GET /reports/:id/export': async ({ params, query, headers }) => {
      const traceId = tagRoot(headers);
      const denied = await authorize(headers);
      if (denied) return { ...denied, body: { ...denied.body, traceId } };
      const r = await callService(gateway, { method: 'POST', url: `${profileServer.url}/reports/${params.id}/export?rows=${query.get('rows') ?? 2000}`, route: '/reports/:id/export', peer: 'profile' });
      return { status: r.status, body: { traceId, rows: r.body?.rows } };
    },
  });

  const all = [gateway, auth, profile, recs];
  return {
    gatewayUrl: gatewayServer.url,
    urls: { 'api-gateway': gatewayServer.url, auth: authServer.url, profile: profileServer.url, recommendations: recsServer.url },
    /** Stops the servers, then flushes every exporter (late spans still held are sent now). */
    async stop() {
      await Promise.all([gatewayServer, authServer, profileServer, recsServer].map((s) => s.close()));
      await Promise.all(all.map((s) => s.shutdown()));
    },
    stats: () => all.map((s) => ({ service: s.name, ...s.stats() })),
  };
}
