#!/usr/bin/env node
/**
 * Regenerates the README screenshots in docs/ from real traffic: starts the real local stack
 * (stack.mjs: `npm start`, which rebuilds web/build, on a free port with a temp state directory),
 * runs the project's demo against it for 60 s, waits until every trace it reports is searchable,
 * then photographs the site in headless Chromium at 1440x900 against the real API.
 *   npm run screenshots      (about 2 minutes: site build and start, 60 s of traffic, 8 pictures)
 * Needs what the browser tests need: /usr/bin/chromium (or CHROMIUM_PATH) and a free port in
 * 8790–8799. The stack keeps stack.mjs's SAMPLE_RATE 1: the demo stamps every trace so any rate
 * keeps it, and at a lower rate each kept trace would be weighted as standing for 1/rate real
 * ones, inflating the service map's rates by that factor. TRACE_IDLE_SECONDS 2 writes traces soon
 * after they end. The stack and the temp files are removed at the end, also on failure or Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { startStack, waitStored } from './stack.mjs';

const DEMO_SECONDS = 60;
/** The demo sends ~4 requests a second; the search picture lists all of them in its scatter plot. */
const SEARCH_LIMIT = 500;

const work = mkdtempSync(join(tmpdir(), 'edgetrace-screenshots-'));
let stack;
let demo;
let browser;
let stopping;
/** Stops whatever has been started (the demo, Chromium, the stack) and deletes the temp files, once. */
const stopAll = () =>
  (stopping ??= (async () => {
    if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGTERM');
    await browser?.close();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  })());
for (const sig of ['SIGINT', 'SIGTERM'])
  process.once(sig, () => {
    console.error(`screenshots: ${sig}, stopping the stack`);
    stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });

/** Runs the demo against the stack and returns its report: trace ids per scenario. */
async function runDemo(url) {
  const report = join(work, 'demo-report.json');
  demo = spawn(process.execPath, ['examples/demo.mjs', '--seconds', String(DEMO_SECONDS), '--target', url, '--report', report], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((resolve) => demo.on('exit', (c, s) => resolve(c ?? s)));
  if (code !== 0) throw new Error(`the demo exited with ${code}`);
  return JSON.parse(readFileSync(report, 'utf8'));
}

/** Polls the search until it lists every trace the demo reported (a trace is indexed once it is quiet). */
async function waitAllSearchable(url, traceIds, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let found = 0;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/search?service=api-gateway&lookback=15m&limit=1500`);
    if (!res.ok) throw new Error(`GET /api/search answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const listed = new Set((await res.json()).data.map((t) => t.traceId));
    found = traceIds.filter((id) => listed.has(id)).length;
    if (found === traceIds.length) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${found} of the demo's ${traceIds.length} traces were searchable after ${timeoutMs} ms`);
}

/** One stored trace in Jaeger JSON. */
async function getTrace(url, traceId) {
  const res = await fetch(`${url}/api/traces/${traceId}`);
  if (!res.ok) throw new Error(`GET /api/traces/${traceId} answered ${res.status}`);
  return (await res.json()).data[0];
}

const isError = (span) => span.tags.some((t) => t.key === 'error' && t.value === true);
/** The span a failure started from: a failing span that recorded an exception. */
const failureOf = (trace) => trace.spans.find((s) => isError(s) && s.logs.length > 0);
/** The value seen most often, or undefined for none. */
function mostCommon(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].reduce((a, b) => (b[1] > a[1] ? b : a), [undefined, 0])[0];
}
/** The span with the most children: the loop of a large trace. */
const widestParent = (trace) => mostCommon(trace.spans.flatMap((s) => (s.references ?? []).filter((r) => r.refType === 'CHILD_OF').map((r) => r.spanID)));
/** Trace ids of a scenario from the demo report: the first `count` ones, or a clear error. */
function traces(report, scenario, count = 1) {
  const ids = report.scenarios[scenario] ?? [];
  if (ids.length < count) throw new Error(`the demo reported ${ids.length} trace(s) for scenario ${scenario}, ${count} needed`);
  return ids;
}

/** Opens `path`, lets it settle, refuses a page that shows a problem, and saves docs/NAME.png. */
async function shot(page, url, path, name) {
  await page.goto(`${url}${path}`);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(400);
  const problems = await page.locator('.problem').allInnerTexts();
  if (problems.length > 0) throw new Error(`${path} shows a problem: ${problems.join(' | ')}`);
  await page.screenshot({ path: `docs/${name}.png` });
  console.log(`docs/${name}.png  ${path}`);
}

try {
  stack = await startStack({ TRACE_IDLE_SECONDS: 2 });
  console.log(`screenshots: edgetrace at ${stack.url}; the demo runs for ${DEMO_SECONDS} s`);
  const report = await runDemo(stack.url);
  const all = [...new Set(Object.values(report.scenarios).flat())];
  await waitAllSearchable(stack.url, all);

  const [large] = traces(report, 'large');
  const [fanOut] = traces(report, 'fan-out');
  const [failing] = traces(report, 'server-error');
  const [slowA, slowB] = traces(report, 'slow', 2);
  // one from the middle of the run: the first requests also time the services warming up
  const normals = traces(report, 'normal');
  const normal = normals[Math.floor(normals.length / 2)];
  for (const id of [large, fanOut, normal, slowA, slowB, failing]) await waitStored(stack.url, id);

  // The headline trace shows a failure: in the large trace if it has one, else in a failed request.
  const largeTrace = await getTrace(stack.url, large);
  const failingTrace = failureOf(largeTrace) ? largeTrace : await getTrace(stack.url, failing);
  const failure = failureOf(failingTrace);
  if (!failure) throw new Error(`trace ${failingTrace.traceID} has no failing span with an exception`);
  const table = mostCommon((await getTrace(stack.url, fanOut)).spans.flatMap((s) => s.tags).filter((t) => t.key === 'db.collection.name').map((t) => t.value));
  if (!table) throw new Error(`the fan-out trace ${fanOut} has no database span`);

  browser = await launchChromium();
  const page = await browser.context.newPage();
  await shot(page, stack.url, `/?service=api-gateway&lookback=15m&limit=${SEARCH_LIMIT}`, 'search');
  await shot(page, stack.url, `/trace/${failingTrace.traceID}?span=${failure.spanID}`, 'trace');
  await shot(page, stack.url, `/trace/${fanOut}?q=${encodeURIComponent(`db.collection.name=${table}`)}`, 'trace-filter');
  await shot(page, stack.url, `/trace/${normal}?tab=graph`, 'trace-graph');
  await shot(page, stack.url, `/trace/${fanOut}?tab=stats`, 'trace-stats');
  await shot(page, stack.url, `/compare/${slowA}/${slowB}?same=1`, 'compare');
  await shot(page, stack.url, '/services?service=api-gateway&lookback=15m', 'services');
  await page.evaluate(() => localStorage.setItem('edgetrace-theme', 'dark'));
  await shot(page, stack.url, `/trace/${large}?span=${widestParent(largeTrace)}`, 'trace-dark');
} finally {
  await stopAll();
}
