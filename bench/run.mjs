#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark in one run, within 10 minutes, cleaning up after itself.
 *   1. the in-process benches that exist in bench/ (*.ts through scripts/run-ts.mjs, *.mjs with
 *      node), edge-decode and assembly first since the cost model reads their CPU per span; each
 *      may use what is left of the budget after the stack benches' share, and is stopped there;
 *   2. the stack benches on ports 8820–8823: ingest spans/s and p50/p99 through wrangler dev for
 *      the hello-world Worker (the ceiling) and edgetrace at SAMPLE_RATE 0.001 and 1; freshness;
 *      the operations one trace costs; storage per span (R2) and per trace (D1);
 *   3. the cost model (bench/cost-model.ts) from those figures.
 * Not run here: bench/waterfall.mjs, a browser bench with its own script (npm run bench:waterfall).
 *
 * Every exit path cleans up: a normal end, an error, Ctrl-C (SIGINT), SIGTERM and a bench stopped
 * at its time budget end the process groups it started (SIGTERM, then SIGKILL after a grace
 * period) and remove their state directories, its own temporary directories and the bundles
 * scripts/run-ts.mjs made. A second Ctrl-C skips the grace period.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { measureFreshness } from './freshness.mjs';
import { formatOps, measureTraceOps } from './ingest-ops.mjs';
import {
  FAST_STATE_ROOT,
  cleanUpAll,
  cleanUpAllNow,
  closing,
  endProcesses,
  removeDir,
  startEdgetrace,
  startHelloWorker,
  trackDir,
  trackGroup,
} from './ingest-stack.mjs';
import { BATCH_SPANS, formatLoad, loadTest } from './ingest.mjs';
import { formatStorage, measureStorage } from './storage.mjs';

const BUDGET_MS = 10 * 60_000;
/** what the stack benches and the cost model need at the end */
const STACK_RESERVE_MS = 280_000;
const LOAD = { clients: 4, seconds: 15, warmupSeconds: 3 };
/** local state on tmpfs when there is one (see ingest-stack.mjs) */
const STATE_ROOT = FAST_STATE_ROOT;
const started = Date.now();
const left = () => BUDGET_MS - (Date.now() - started);

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`bench: wrangler needs Node 22 or later, this is ${process.version}; run it as \`npm run bench\` (npm puts the project's Node 22 first)`);
  process.exit(1);
}

const env = { ...process.env, PATH: [dirname(process.execPath), join(process.cwd(), 'node_modules', '.bin'), process.env.PATH].join(delimiter) };

// Clean-up on every exit path ----------------------------------------------------------------
/** How long a stopped stack (wrangler, workerd) gets after SIGTERM before SIGKILL. */
const GRACE_MS = 10_000;
/** The same for a script: run-ts.mjs only has its bundle to remove. */
const SCRIPT_GRACE_MS = 5000;
/** pids of the scripts started through scripts/run-ts.mjs, whose bundles are named after them */
const scriptPids = new Set();
const RUN_TS_CACHE = join('node_modules', '.cache');

/** Removes the bundles of one run-ts.mjs process (left behind when it had to be SIGKILLed). */
function removeBundles(pid) {
  if (!existsSync(RUN_TS_CACHE)) return;
  for (const name of readdirSync(RUN_TS_CACHE))
    if (name.startsWith(`run-ts-${pid}-`)) rmSync(join(RUN_TS_CACHE, name), { recursive: true, force: true });
}

let stopping = null;
/** Ends everything still running, removes every directory, then exits with `code`. */
function stopAndExit(code, why) {
  if (stopping) return stopping;
  console.error(`\nbench: ${why}; ending the processes it started and removing their state`);
  stopping = cleanUpAll(GRACE_MS)
    .catch((err) => console.error(`bench: clean-up failed: ${err.stack ?? err}`))
    .finally(() => {
      for (const pid of scriptPids) removeBundles(pid);
      process.exit(code);
    });
  return stopping;
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.on(signal, () => {
    if (!stopping) return void stopAndExit(code, `${signal} received`);
    console.error(`bench: ${signal} again: killing at once`);
    process.exit(code);
  });
process.on('uncaughtException', (err) => {
  console.error(err);
  void stopAndExit(1, 'failed');
});
// Last resort, synchronous (process.exit, or a second signal during the grace period).
process.on('exit', () => {
  cleanUpAllNow();
  for (const pid of scriptPids) removeBundles(pid);
});

/**
 * Runs a script in its own process group. At the deadline the group (and any group the script
 * started) gets SIGTERM, so that run-ts.mjs can remove its bundle, and SIGKILL after the grace.
 */
function runScript(args, timeoutMs) {
  if (closing()) return Promise.resolve({ out: '', code: null, timedOut: false });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    trackGroup(child.pid);
    if (args.includes('scripts/run-ts.mjs')) scriptPids.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    let ending = null;
    const timer = setTimeout(
      () => {
        timedOut = true;
        ending = endProcesses([child.pid], SCRIPT_GRACE_MS);
      },
      Math.max(1000, timeoutMs),
    );
    child.on('exit', async (code) => {
      clearTimeout(timer);
      // what the script may have left running in its group
      await (ending ?? endProcesses([child.pid], SCRIPT_GRACE_MS));
      removeBundles(child.pid);
      scriptPids.delete(child.pid);
      resolve({ out, code, timedOut });
    });
  });
}

const section = (title) => console.log(`\n## ${title}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(0)} s`;

console.log(`# npm run bench — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

// 1. in-process benches --------------------------------------------------------------------
const OWN = /^(run|ingest.*|freshness.*|storage.*|cost-model.*)\.(mjs|ts)$|\.test\.ts$|\.d\.ts$/;
/** a browser bench with its own script (npm run bench:waterfall) and its trace loader, and search.ts's data module */
const ELSEWHERE = new Set(['waterfall.mjs', 'big-traces.mjs', 'search-data.ts']);
/**
 * search.ts reads an index that scripts/gen-index.ts builds (a million traces by default, far
 * beyond this budget): build a small one on tmpfs first, search it fewer times, remove it after.
 */
const searchDir = trackDir(mkdtempSync(join(FAST_STATE_ROOT, 'edgetrace-bench-search-')));
const PREPARE = {
  'search.ts': ['scripts/run-ts.mjs', 'scripts/gen-index.ts', '--traces', '10000', '--dir', searchDir],
};
const EXTRA_ARGS = { 'search.ts': ['--dir', searchDir, '--runs', '30'] };
const FIRST = ['edge-decode.ts', 'assembly.ts'];
const rank = (f) => (FIRST.includes(f) ? FIRST.indexOf(f) : FIRST.length);
const scripts = readdirSync('bench')
  .filter((f) => /\.(ts|mjs)$/.test(f) && !OWN.test(f) && !ELSEWHERE.has(f))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const outputs = {};
const skipped = [];
for (const file of scripts) {
  if (closing()) break;
  const budget = left() - STACK_RESERVE_MS;
  if (budget < 5000) {
    skipped.push(`${file} (no time left)`);
    continue;
  }
  const args = [...(file.endsWith('.ts') ? ['--expose-gc', 'scripts/run-ts.mjs', `bench/${file}`] : [`bench/${file}`]), ...(EXTRA_ARGS[file] ?? [])];
  const t = Date.now();
  let prepared = '';
  if (PREPARE[file]) {
    const p = await runScript(PREPARE[file], budget);
    if (p.code !== 0) prepared = `${PREPARE[file].slice(1).join(' ')} failed:\n${p.out.trimEnd()}\n`;
  }
  const r = await runScript(args, budget - (Date.now() - t));
  if (closing()) break;
  section(`bench/${file} (${secs(Date.now() - t)}${r.timedOut ? ', STOPPED at the time budget' : r.code !== 0 ? `, exit ${r.code}` : ''})`);
  console.log(`${prepared}${r.out.trimEnd()}`);
  outputs[file] = r.out;
  if (r.timedOut) skipped.push(`${file} (stopped after ${secs(budget)})`);
}

removeDir(searchDir);
if (closing()) await stopping;

/** edge CPU per span of the protobuf path, from bench/edge-decode.ts */
const edgeNs = Number(/\(protobuf\)\s+(\d+) ns\/span/.exec(outputs['edge-decode.ts'] ?? '')?.[1]);
/** edge CPU per span of the RED metrics aggregation (every span, kept or not), from the same bench */
const edgeRedNs = Number(/RED metrics, 1 request per window\s+(\d+) ns\/span/.exec(outputs['edge-decode.ts'] ?? '')?.[1]);
/** the metrics pipeline's operations per minute, from bench/services.ts */
const services = (() => {
  const m = /^cost-model figures[^:]*: (\{.*\})$/m.exec(outputs['services.ts'] ?? '');
  return m ? JSON.parse(m[1]) : undefined;
})();
/** DO CPU per span: the chunked DO path of the smallest trace in bench/assembly.ts */
const doNs = (() => {
  const m = /(\d+) spans generated → (\d+) after dedupe[\s\S]*?chunked[\s\S]*?→ DO path (\d+) ms/.exec(outputs['assembly.ts'] ?? '');
  return m ? (Number(m[3]) * 1e6) / Number(m[2]) : NaN;
})();

// 2. stack benches -----------------------------------------------------------------------
/** Milliseconds one synchronous 4 KB write takes in `dir` (what each local SQLite commit waits for). */
function syncWriteMs(dir) {
  const file = join(trackDir(mkdtempSync(join(dir, 'edgetrace-bench-sync-'))), 'probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const t = performance.now();
  for (let i = 0; i < 20; i++) {
    writeSync(fd, block);
    fsyncSync(fd);
  }
  const ms = (performance.now() - t) / 20;
  closeSync(fd);
  removeDir(dirname(file));
  return ms;
}

const figures = { edgeCpuNsPerSpan: edgeNs, doCpuNsPerSpan: doNs, edgeRedCpuNsPerSpan: edgeRedNs, services };
const results = {};
async function stage(name, fn) {
  if (closing()) return;
  const t = Date.now();
  try {
    await fn();
  } catch (err) {
    if (closing()) return;
    results[name] = { error: err.message.split('\n')[0] };
    console.log(`${name}: FAILED: ${err.message.slice(0, 2000)}`);
  }
  console.log(`  (${name}: ${secs(Date.now() - t)})`);
}

section(`ingest: ${LOAD.clients} concurrent clients × ${LOAD.seconds} s, OTLP protobuf ${BATCH_SPANS}-span batches, loopback, wrangler dev, local state in ${STATE_ROOT}`);
console.log(`(a synchronous 4 KB write takes ${syncWriteMs(STATE_ROOT).toFixed(2)} ms in ${STATE_ROOT}${STATE_ROOT === tmpdir() ? '' : `, ${syncWriteMs(tmpdir()).toFixed(2)} ms on disk in ${tmpdir()}`})`);
await stage('hello', async () => {
  const s = await startHelloWorker({ port: 8820, stateRoot: STATE_ROOT });
  try {
    results.hello = await loadTest({ url: s.url, ...LOAD });
    console.log(formatLoad('hello-world Worker (ceiling)', results.hello));
  } finally {
    await s.stop();
  }
});
const ratio = (r) => (results.hello?.spansPerSecond ? `  = ${((100 * r.spansPerSecond) / results.hello.spansPerSecond).toFixed(1)}% of the ceiling` : '');
await stage('sampled', async () => {
  const s = await startEdgetrace({ port: 8821, stateRoot: STATE_ROOT, vars: { SAMPLE_RATE: '0.001', TRACE_IDLE_SECONDS: '1', AUTH_REQUIRED: 'false' } });
  try {
    results.sampled = await loadTest({ url: s.url, ...LOAD });
    console.log(`${formatLoad('edgetrace SAMPLE_RATE=0.001', results.sampled)}${ratio(results.sampled)}`);
  } finally {
    await s.stop();
  }
});
await stage('keep-all', async () => {
  const s = await startEdgetrace({ port: 8822, stateRoot: STATE_ROOT, vars: { SAMPLE_RATE: '1', TRACE_IDLE_SECONDS: '1', LATE_SPAN_WINDOW_SECONDS: '600', AUTH_REQUIRED: 'false' } });
  try {
    const fresh = await measureFreshness({ url: s.url, probes: 5 });
    results.freshness = fresh;
    section('freshness: last span acknowledged → trace searchable (TRACE_IDLE_SECONDS=1, idle stack)');
    console.log(`p50 ${fresh.p50Ms.toFixed(0)} ms, max ${fresh.maxMs.toFixed(0)} ms over ${fresh.ms.length} probes [${fresh.ms.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`(with the default TRACE_IDLE_SECONDS=30 add 29 s: the trace waits 30 s for more spans)`);

    const ops = await measureTraceOps({ url: s.url, stateDir: s.stateDir, events: s.events, traces: 20 });
    figures.opsPerTrace = ops;
    section('operations per kept trace, counted by the TraceAssemblers');
    console.log(formatOps(ops));

    section('ingest at SAMPLE_RATE=1, TRACE_IDLE_SECONDS=1: every trace goes to its Durable Object and is written 1 s later (locally all objects share one thread)');
    results.keepAll = await loadTest({ url: s.url, ...LOAD });
    console.log(`${formatLoad('edgetrace SAMPLE_RATE=1', results.keepAll)}${ratio(results.keepAll)}`);

    // let the Durable Objects write what they were sent (bounded: storage is measured on what is written)
    const until = Date.now() + Math.min(30_000, Math.max(5000, left() - 100_000));
    let seen = -1;
    while (Date.now() < until && s.events().length !== seen) {
      seen = s.events().length;
      await new Promise((r) => setTimeout(r, 3000));
    }
    const flushed = s.events().filter((e) => e.event === 'trace.flush').length;
    section(`storage (${flushed} traces written when measured)`);
    const st = measureStorage(s.stateDir);
    results.storage = st;
    figures.r2BytesPerSpan = st.r2BytesPerSpan;
    figures.d1BytesPerTrace = st.d1BytesPerTrace;
    figures.doBytesPerSpan = st.durableObject.bytesPerSpan;
    console.log(formatStorage(st));
  } finally {
    await s.stop();
  }
});

if (left() > 90_000)
  await stage('keep-all-deferred', async () => {
    section('ingest at SAMPLE_RATE=1 with TRACE_IDLE_SECONDS=600: the accept path alone (edge + one Durable Object write per trace, no trace written while measuring)');
    const s = await startEdgetrace({
      port: 8823,
      stateRoot: STATE_ROOT,
      vars: { SAMPLE_RATE: '1', TRACE_IDLE_SECONDS: '600', TRACE_MAX_WAIT_SECONDS: '600', AUTH_REQUIRED: 'false' },
    });
    try {
      results.keepAllDeferred = await loadTest({ url: s.url, ...LOAD, seconds: 10 });
      console.log(`${formatLoad('edgetrace SAMPLE_RATE=1, writes deferred', results.keepAllDeferred)}${ratio(results.keepAllDeferred)}`);
    } finally {
      await s.stop();
    }
  });

// 3. cost model ---------------------------------------------------------------------------
section('cost model (bench/cost-model.ts)');
const dir = trackDir(mkdtempSync(join(tmpdir(), 'edgetrace-bench-figures-')));
try {
  const input = join(dir, 'figures.json');
  writeFileSync(input, JSON.stringify(figures));
  const r = await runScript(['scripts/run-ts.mjs', 'bench/cost-model.ts', '--input', input], Math.max(30_000, left()));
  console.log(r.out.trimEnd());
} finally {
  removeDir(dir);
}
if (closing()) await stopping;

section('summary');
const ceiling = results.hello?.spansPerSecond;
const line = (label, r) =>
  r?.spansPerSecond !== undefined
    ? `${label}: ${Math.round(r.spansPerSecond)} spans/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms${ceiling ? ` (${((100 * r.spansPerSecond) / ceiling).toFixed(1)}% of the hello-world ceiling)` : ''}`
    : `${label}: ${r?.error ?? 'not measured'}`;
console.log(line('ingest, hello-world Worker', results.hello));
console.log(line('ingest, edgetrace SAMPLE_RATE=0.001', results.sampled));
console.log(line('ingest, edgetrace SAMPLE_RATE=1', results.keepAll));
if (results.keepAllDeferred) console.log(line('ingest, edgetrace SAMPLE_RATE=1, trace writes deferred', results.keepAllDeferred));
console.log(`CPU per span: edge ${Number.isFinite(edgeNs) ? `${(edgeNs / 1000).toFixed(1)} µs` : 'not measured'}, Durable Object ${Number.isFinite(doNs) ? `${(doNs / 1000).toFixed(1)} µs` : 'not measured'} (assembly + encode)`);
console.log(`freshness: ${results.freshness ? `p50 ${results.freshness.p50Ms.toFixed(0)} ms with TRACE_IDLE_SECONDS=1` : 'not measured'}`);
console.log(
  results.storage?.r2BytesPerSpan
    ? `storage: R2 ${results.storage.r2BytesPerSpan.toFixed(1)} bytes per span, D1 ${results.storage.d1BytesPerTrace.toFixed(0)} bytes per trace`
    : 'storage: not measured',
);
if (skipped.length) console.log(`not completed: ${skipped.join('; ')}`);
console.log(`total ${secs(Date.now() - started)}`);

// Normally everything is stopped and removed by now; this ends whatever a script left behind.
await cleanUpAll(GRACE_MS);
