#!/usr/bin/env node
/**
 * Billable operations per trace: a 7-span trace whose spans arrive in 1, 3 and 7 requests, sent to
 * a real `npm start` (wrangler dev, workerd, local D1/R2/DO). Each TraceAssembler logs its counted
 * operations when it flushes and when it forgets the trace (durable/op-count.ts); this script reads
 * those lines and prints DO requests (RPCs + alarms), DO SQLite rows written and setAlarm calls,
 * R2 reads/writes and D1 rows written.
 *   npm run bench:ops     (or: node bench/ops-per-trace.mjs)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

const hex = (n) => randomBytes(n).toString('hex');
const BASE_NS = BigInt(Date.now()) * 1_000_000n;

/** Seven spans of one trace over three services, as OTLP/JSON requests split into `parts`. */
function requests(traceId, parts) {
  const ids = Array.from({ length: 7 }, () => hex(8));
  const spans = ids.map((spanId, i) => ({
    traceId,
    spanId,
    parentSpanId: i === 0 ? '' : ids[Math.floor((i - 1) / 2)],
    name: `op-${i}`,
    kind: i === 0 ? 2 : 1 + (i % 3),
    startTimeUnixNano: String(BASE_NS + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(BASE_NS + BigInt(20 - i) * 1_000_000n),
    attributes: [{ key: 'http.route', value: { stringValue: `/r/${i}` } }],
    service: ['gateway', 'auth', 'profile'][i % 3],
  }));
  const out = [];
  for (let p = 0; p < parts; p++) {
    const mine = spans.filter((_, i) => i % parts === p);
    const services = [...new Set(mine.map((s) => s.service))];
    out.push(
      JSON.stringify({
        resourceSpans: services.map((service) => ({
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [{ scope: { name: 'bench' }, spans: mine.filter((s) => s.service === service).map(({ service: _, ...s }) => s) }],
        })),
      }),
    );
  }
  return out;
}

const port = await freePort();
const state = mkdtempSync(join(tmpdir(), 'edgetrace-ops-'));
const child = spawn(
  'npm',
  ['start', '--', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', state, '--show-interactive-dev-session=false',
    '--var', 'SAMPLE_RATE:1', '--var', 'TRACE_IDLE_SECONDS:1', '--var', 'LATE_SPAN_WINDOW_SECONDS:2', '--var', 'AUTH_REQUIRED:false'],
  { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: 'true', EDGETRACE_SKIP_WEB_BUILD: '1' } },
);
// Ctrl-C or a SIGTERM from bench/run.mjs: end the detached stack and remove its state too.
for (const [signal, n] of [['SIGINT', 2], ['SIGTERM', 15]])
  process.once(signal, () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    rmSync(state, { recursive: true, force: true });
    process.exit(128 + n);
  });
let log = '';
child.stdout.on('data', (d) => (log += d));
child.stderr.on('data', (d) => (log += d));
const url = `http://127.0.0.1:${port}`;

function events(kind, traceId) {
  return log
    .split('\n')
    .map((l) => l.slice(l.indexOf('{')))
    .filter((l) => l.startsWith('{"event":"trace.'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter((e) => e && e.event === kind && e.traceId === traceId);
}

async function until(check, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

try {
  await until(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 'the server');
  const rows = [];
  for (const parts of [1, 3, 7]) {
    const traceId = hex(16);
    for (const body of requests(traceId, parts)) {
      const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    }
    const [flush] = await until(() => events('trace.flush', traceId).length && events('trace.flush', traceId), `trace ${traceId} to flush`);
    const [forget] = await until(() => events('trace.forget', traceId).length && events('trace.forget', traceId), `trace ${traceId} to be forgotten`);
    const o = forget.ops;
    rows.push({ parts, o, bytes: flush.bytes, ms: flush.ms });
  }
  console.log('ops per 7-span trace (edge → one TraceAssembler → R2 + D1), counted by the DO itself');
  console.log('requests  DO-requests(rpc+alarms)  DO-rows-written  setAlarm  R2-GET  R2-PUT  D1-rows-written  R2-bytes  flush-ms');
  for (const { parts, o, bytes, ms } of rows)
    console.log(
      [String(parts).padStart(8), `${o.doRequests + o.alarms} (${o.doRequests}+${o.alarms})`.padStart(24), String(o.sqlRowsWritten).padStart(16),
        String(o.setAlarms).padStart(9), String(o.r2Gets).padStart(7), String(o.r2Puts).padStart(7), String(o.d1RowsWritten).padStart(16),
        String(bytes).padStart(9), String(ms).padStart(9)].join(' '),
    );
} finally {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  await new Promise((r) => setTimeout(r, 500));
  rmSync(state, { recursive: true, force: true });
}
