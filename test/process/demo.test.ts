/**
 * `npm run demo` against edgetrace under `npm start` (wrangler dev, default SAMPLE_RATE 0.001):
 * the demo's real instrumented services run for ~20 s, and every service's traces become
 * searchable with the shape each scenario promises — calls joined across services, the skewed
 * clock corrected, the re-sent batch stored once, the late span merged, the fan-out and the large
 * trace whole.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeStateDir, startDevServer, type DevServer } from './dev-server';

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
  startTime: number;
  duration: number;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
  partial?: boolean;
}
interface Report {
  services: string[];
  lateSeconds: number;
  scenarios: Record<string, string[]>;
  exported: { service: string; spans: number; failed: number; resent: number; late: number }[];
}

const PORT = 8810;
let server: DevServer;
let workDir: string;
let report: Report;
let demoOutput = '';

beforeAll(async () => {
  // Late spans are held 6 s, the trace is written after 1 s of quiet: the late span arrives after
  // the first write and must re-flush the trace. Local use: no ingest key.
  server = await startDevServer({
    port: PORT,
    vars: { SAMPLE_RATE: '0.001', TRACE_IDLE_SECONDS: '1', LATE_SPAN_WINDOW_SECONDS: '600', AUTH_REQUIRED: 'false' },
  });
  workDir = mkdtempSync(join(tmpdir(), 'edgetrace-demo-'));
  const reportFile = join(workDir, 'report.json');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['examples/demo.mjs', '--seconds', '20', '--target', server.url, '--late-after', '6', '--report', reportFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: unknown) => (demoOutput += String(d)));
    child.stderr.on('data', (d: unknown) => (demoOutput += String(d)));
    child.on('exit', (c: number | null) => resolve(c));
  });
  if (code !== 0) throw new Error(`demo exited with ${code}:\n${demoOutput}\n--- edgetrace:\n${server.output().slice(-4000)}`);
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeStateDir(server.stateDir);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

/** The written (not partial) trace once it satisfies `ready`. */
function writtenTrace(traceId: string, ready: (t: JaegerTrace) => boolean, what: string): Promise<JaegerTrace> {
  return eventually(
    async () => {
      const { status, body } = await getJson<{ data: JaegerTrace[] }>(`/api/traces/${traceId}`);
      const t = status === 200 ? body.data[0] : undefined;
      return t && !t.partial && ready(t) ? t : undefined;
    },
    `${what} (trace ${traceId})`,
    60_000,
  );
}

const first = (scenario: string): string => {
  const id = report.scenarios[scenario]?.[0];
  if (!id) throw new Error(`the demo reported no ${scenario} trace:\n${demoOutput}`);
  return id;
};

/** Helpers over one trace. */
function view(t: JaegerTrace) {
  const service = (s: JaegerSpan) => t.processes[s.processID]!.serviceName;
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const parent = (s: JaegerSpan) => byId.get(s.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '');
  const find = (svc: string, op: string) => t.spans.filter((s) => service(s) === svc && s.operationName === op);
  const one = (svc: string, op: string) => {
    const found = find(svc, op);
    expect(found, `${svc} ${op}`).toHaveLength(1);
    return found[0]!;
  };
  const tag = (s: JaegerSpan, key: string) => s.tags.find((x) => x.key === key)?.value;
  const children = (s: JaegerSpan) => t.spans.filter((c) => parent(c) === s);
  return { service, parent, find, one, tag, children };
}

describe('npm run demo', () => {
  it('exports from every service without a failed request, re-sending one batch and sending late spans', () => {
    expect(report.services.sort()).toEqual(['api-gateway', 'auth', 'profile', 'recommendations']);
    for (const e of report.exported) {
      expect(e.spans, e.service).toBeGreaterThan(0);
      expect(e.failed, e.service).toBe(0);
    }
    expect(report.exported.find((e) => e.service === 'api-gateway')!.resent).toBeGreaterThanOrEqual(1);
    expect(report.exported.find((e) => e.service === 'profile')!.late).toBeGreaterThanOrEqual(1);
    for (const s of ['normal', 'slow', 'auth-error', 'server-error', 'unreachable', 'fan-out', 'retried-export', 'late-span', 'large'])
      expect(report.scenarios[s]?.length ?? 0, s).toBeGreaterThan(0);
  });

  it('traces of every demo service are searchable, kept although SAMPLE_RATE is 0.001', async () => {
    for (const svc of report.services) {
      const traces = await eventually(async () => {
        const { status, body } = await getJson<{ data: JaegerTrace[] }>(`/api/traces?service=${svc}&limit=50`);
        return status === 200 && body.data.length > 0 ? body.data : undefined;
      }, `a trace of ${svc} in search`, 60_000);
      for (const t of traces) expect(Object.values(t.processes).map((p) => p.serviceName)).toContain(svc);
    }
    const { body } = await getJson<{ data: string[] }>('/api/services');
    expect(body.data).toEqual(expect.arrayContaining(report.services));
  });

  it('a normal request is one tree across the four services, with the database span and the skewed clock corrected', async () => {
    const t = await writtenTrace(first('normal'), (x) => x.spans.length === 11, 'the normal trace with 11 spans');
    const v = view(t);
    const root = v.one('api-gateway', 'GET /users/:id/profile');
    expect(v.parent(root)).toBeUndefined();
    const validate = v.one('auth', 'validateToken');
    expect(v.parent(validate)).toBe(v.one('auth', 'POST /validate'));
    expect(v.parent(v.one('auth', 'POST /validate'))).toBe(v.one('api-gateway', 'POST /validate'));
    const db = v.one('profile', 'SELECT users');
    expect(v.tag(db, 'db.system.name')).toBe('postgresql');
    expect(v.parent(db)).toBe(v.one('profile', 'GET /users/:id'));
    expect(v.parent(v.one('profile', 'GET /users/:id'))).toBe(v.one('api-gateway', 'GET /users/:id'));
    // the recommendations host's clock runs 200 ms ahead; after correction its server span sits
    // inside the gateway's client span again
    const call = v.one('api-gateway', 'GET /recommendations/:id');
    const served = v.one('recommendations', 'GET /recommendations/:id');
    expect(v.parent(served)).toBe(call);
    expect(served.startTime).toBeGreaterThanOrEqual(call.startTime);
    expect(served.startTime + served.duration).toBeLessThanOrEqual(call.startTime + call.duration);
  });

  it('errors show where they happened: an expired token, a failing database, an unreachable dependency', async () => {
    const auth = view(await writtenTrace(first('auth-error'), (x) => x.spans.some((s) => s.operationName === 'validateToken'), 'the auth-error trace'));
    expect(auth.tag(auth.one('auth', 'validateToken'), 'error')).toBe(true);
    expect(auth.tag(auth.one('api-gateway', 'GET /users/:id/profile'), 'http.response.status_code')).toBe(401);

    const failed = view(await writtenTrace(first('server-error'), (x) => x.spans.length === 11, 'the server-error trace'));
    expect(failed.tag(failed.one('profile', 'SELECT users'), 'error')).toBe(true);
    expect(failed.tag(failed.one('api-gateway', 'GET /users/:id/profile'), 'error')).toBe(true);

    const down = view(await writtenTrace(first('unreachable'), (x) => x.spans.some((s) => s.operationName === 'GET /stock'), 'the unreachable trace'));
    const stock = down.one('api-gateway', 'GET /stock');
    expect(down.tag(stock, 'error')).toBe(true);
    expect(down.children(stock)).toHaveLength(0);
  });

  it('the re-sent batch is stored once', async () => {
    const t = await writtenTrace(first('retried-export'), (x) => x.spans.length >= 11, 'the retried-export trace');
    const ids = t.spans.map((s) => s.spanID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(t.spans).toHaveLength(11);
  });

  it('the span that arrived late is merged into its written trace', async () => {
    const t = await writtenTrace(first('late-span'), (x) => x.spans.some((s) => s.operationName === 'audit.write'), 'the late audit.write span');
    const v = view(t);
    expect(v.parent(v.one('profile', 'audit.write'))).toBe(v.one('profile', 'GET /users/:id'));
    expect(t.spans).toHaveLength(12);
  });

  it('the fan-out has dozens of calls and the large trace thousands of spans', async () => {
    const fan = view(await writtenTrace(first('fan-out'), (x) => x.spans.length >= 24 * 3 + 5, 'the fan-out trace'));
    const calls = fan.find('api-gateway', 'GET /users/:id');
    expect(calls.length).toBeGreaterThanOrEqual(24);
    for (const c of calls) expect(fan.children(c).map(fan.service)).toEqual(['profile']);

    const large = await writtenTrace(first('large'), (x) => x.spans.length >= 2000, 'the large trace with 2000+ spans');
    const v = view(large);
    const rows = v.find('profile', 'SELECT order_lines');
    expect(rows.length).toBeGreaterThanOrEqual(2000);
    expect(large.spans).toHaveLength(rows.length + 8);
  });
});
