#!/usr/bin/env node
/**
 * `npm run demo -- [--seconds N] [--target URL]`: starts the demo services (examples/demo/) on
 * loopback, drives realistic traffic through them for a bounded time, exports every span to the
 * edgetrace edge as OTLP protobuf, and prints what it does and where to see the traces.
 */
import { writeFileSync } from 'node:fs';
import { USAGE, parseArgs } from './demo/args.mjs';
import { SERVICE_NAMES, SKEW_MS, startServices } from './demo/services.mjs';
import { installGlobals } from './demo/telemetry.mjs';
import { drive } from './demo/traffic.mjs';

let opts;
try {
  opts = parseArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (err.message !== 'help') console.error(`demo: ${err.message}`);
  console.error(USAGE);
  process.exit(err.message === 'help' ? 0 : 2);
}

const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line) => console.log(`[${stamp()}] ${line}`);
const traceUrl = (id) => `${opts.target}/trace/${id}`;

try {
  const res = await fetch(`${opts.target}/healthz`);
  if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}`);
} catch (err) {
  console.error(`demo: edgetrace is not answering at ${opts.target} (${err.cause?.code ?? err.message}). Start it first: npm start`);
  process.exit(1);
}

// an empty export request tells whether the edge takes our spans (an ingest key may be required)
const probe = await fetch(`${opts.target}/v1/traces`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) },
  body: '{"resourceSpans":[]}',
});
if (probe.status === 401 || probe.status === 403) {
  console.error(
    `demo: ${opts.target} refused the ingest key (HTTP ${probe.status}). Create one with \`npm run keys\` and pass --key KEY` +
      ' (or $EDGETRACE_INGEST_KEY), or run edgetrace locally with --var AUTH_REQUIRED:false',
  );
  process.exit(1);
}

installGlobals();
const services = await startServices({
  target: opts.target,
  headers: opts.key ? { authorization: `Bearer ${opts.key}` } : {},
  keepAll: opts.sampling === 'keep',
  lateMs: opts.lateSeconds * 1000,
  log,
});

console.log(`edgetrace demo → ${opts.target} for ${opts.seconds} s, ~${opts.rate} requests/s`);
for (const name of SERVICE_NAMES) console.log(`  ${name.padEnd(16)} ${services.urls[name]}${name === 'recommendations' ? `   (its clock runs ${SKEW_MS} ms ahead)` : ''}`);
console.log(
  opts.sampling === 'keep'
    ? '  sampling: every trace carries tracestate ot=rv:<high randomness>, so the edge keeps it at any SAMPLE_RATE >= 0.0005 (--sampling natural to turn off);\n            below SAMPLE_RATE 1 each kept trace still counts for 1/rate traces in the service map'
    : '  sampling: left to the edge (at SAMPLE_RATE=0.001, the deployed default, about 1 trace in 1000 is kept)',
);
console.log(`  late spans are held back ${opts.lateSeconds} s (they arrive after the trace was written if TRACE_IDLE_SECONDS < ${opts.lateSeconds})`);
console.log('  scenarios: normal, slow, auth-error, server-error, unreachable, fan-out, retried-export, late-span, large (thousands of spans)\n');

/** @type {Record<string, { count: number, failed: number, traces: string[] }>} */
const seen = {};
let requests = 0;
const progress = setInterval(() => {
  const spans = services.stats().reduce((t, s) => t + s.spans, 0);
  log(`${requests} requests so far, ${spans} spans exported`);
}, 10_000);

await drive({
  gatewayUrl: services.gatewayUrl,
  seconds: opts.seconds,
  rate: opts.rate,
  onResult: (r) => {
    requests++;
    const s = (seen[r.scenario] ??= { count: 0, failed: 0, traces: [] });
    s.count++;
    if (r.status === 0) s.failed++;
    if (r.traceId) s.traces.push(r.traceId);
    if (s.count === 1)
      log(`${r.scenario.padEnd(14)} HTTP ${r.status || r.error} in ${Math.round(r.ms)} ms  ${r.traceId ? traceUrl(r.traceId) : ''}`);
  },
});
clearInterval(progress);

log('traffic done; flushing exporters (spans still held back are sent now)');
await services.stop();

console.log('\nexported:');
for (const s of services.stats())
  console.log(`  ${s.service.padEnd(16)} ${String(s.spans).padStart(6)} spans in ${s.requests} requests${s.failed ? `, ${s.failed} FAILED` : ''}${s.resent ? `, ${s.resent} batch(es) re-sent` : ''}${s.late ? `, ${s.late} span(s) sent late` : ''}`);
console.log('\nrequests and a few traces per scenario:');
for (const [name, s] of Object.entries(seen))
  console.log(`  ${name.padEnd(14)} ${String(s.count).padStart(4)}${s.failed ? ` (${s.failed} failed)` : ''}  ${s.traces.slice(0, 2).map(traceUrl).join('  ')}`);
console.log(`\nopen ${opts.target}/ and search for service api-gateway, auth, profile or recommendations`);

if (opts.report) {
  const report = {
    target: opts.target,
    seconds: opts.seconds,
    lateSeconds: opts.lateSeconds,
    services: SERVICE_NAMES,
    scenarios: Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v.traces])),
    exported: services.stats(),
  };
  writeFileSync(opts.report, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report written to ${opts.report}`);
}
if (services.stats().some((s) => s.failed > 0)) process.exitCode = 1;
