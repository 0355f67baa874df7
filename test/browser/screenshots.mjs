#!/usr/bin/env node
/**
 * Regenerates the README screenshots in docs/ from web/build. The API answers come from the
 * fixture generator through Playwright's request routing, so the pictures do not depend on what a
 * local server happens to hold (these are pictures, not tests; the tests use the real stack).
 *   node test/browser/screenshots.mjs      (Node ≥ 22.18: npm's node_modules/.bin/node)
 */
import { launchChromium } from './chromium.mjs';
import { envelope, FIXTURE_SERVICES, makeTrace } from './fixtures.ts';
import { servicesFixture } from './services-fixtures.ts';
import { serveSite } from './static-site.mjs';

const now = Date.now() * 1000;
const traces = Array.from({ length: 24 }, (_, i) =>
  makeTrace({ spans: 20 + ((i * 37) % 140), seed: 100 + i, startUs: now - (i * 97 + (i % 5) * 311) * 1_000_000, orphan: i % 6 === 0 }),
);
const summary = (t) => {
  const services = {};
  for (const s of t.spans) services[t.processes[s.processID].serviceName] = (services[t.processes[s.processID].serviceName] ?? 0) + 1;
  const root = t.spans[0];
  const end = Math.max(...t.spans.map((s) => s.startTime + s.duration));
  return {
    traceId: t.traceID, startUs: root.startTime, durationUs: end - root.startTime, rootService: t.processes[root.processID].serviceName,
    rootOperation: root.operationName, spanCount: t.spans.length, errorCount: t.spans.filter((s) => s.tags.some((g) => g.key === 'error')).length,
    orphanCount: t.spans.filter((s) => s.edgetrace?.orphan).length, services, adjustedCount: 1, sampleRate: 1, version: 1,
  };
};
const byId = new Map(traces.map((t) => [t.traceID, t]));
const big = makeTrace({ spans: 2500, seed: 7, startUs: now - 60_000_000 });
byId.set(big.traceID, big);
// Two requests of the same shape, the second with more work: what "compare" is for.
const cmpA = makeTrace({ spans: 60, seed: 5, startUs: now - 30_000_000, traceId: 'c0ffee00000000000000000000000a01' });
const cmpB = makeTrace({ spans: 72, seed: 5, startUs: now - 20_000_000, traceId: 'c0ffee00000000000000000000000b02' });
byId.set(cmpA.traceID, cmpA);
byId.set(cmpB.traceID, cmpB);

const servicesApi = servicesFixture(Date.now(), FIXTURE_SERVICES);

const site = await serveSite('web/build');
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.route('**/api/**', (route) => {
    const url = new URL(route.request().url());
    const json = (body, status = 200) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    if (url.pathname === '/api/search') return json({ data: traces.map(summary), total: traces.length, limit: 20, offset: 0, errors: null });
    if (url.pathname === '/api/services') return json({ data: ['api-gateway', 'checkout', 'frontend', 'inventory', 'payments', 'postgres', 'search', 'users'] });
    if (url.pathname === '/api/registry') return json({ data: servicesApi.registry, errors: null });
    if (url.pathname === '/api/service-map') return json({ data: servicesApi.serviceMap, errors: null });
    if (url.pathname === '/api/metrics/summary') return json({ data: servicesApi.summary(url.searchParams.get('service'), Number(url.searchParams.get('lookback'))), errors: null });
    if (url.pathname.startsWith('/api/metrics/')) return json(servicesApi.family(url));
    if (/^\/api\/services\/[^/]+\/operations$/.test(url.pathname)) return json({ data: ['GET /', 'GET /checkout', 'render page'] });
    const m = /^\/api\/traces\/([0-9a-f]+)$/.exec(url.pathname);
    if (m && byId.has(m[1])) return json(envelope(byId.get(m[1])));
    return json({ data: null, errors: [{ code: 404, msg: 'not found' }] }, 404);
  });
  const shot = async (path, name) => {
    await page.goto(`${site.url}${path}`);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(400);
    await page.screenshot({ path: `docs/${name}.png` });
    console.log(`docs/${name}.png`);
  };
  const errSpan = big.spans.find((s) => s.tags.some((t) => t.key === 'error') && s.logs.length);
  await shot('/?service=frontend&lookback=6h', 'search');
  await shot(`/trace/${big.traceID}?span=${errSpan.spanID}`, 'trace');
  await shot(`/trace/${big.traceID}?depth=3&q=error%3Dtrue`, 'trace-filter');
  await shot(`/trace/${traces[3].traceID}?tab=graph`, 'trace-graph');
  await shot(`/trace/${big.traceID}?tab=stats`, 'trace-stats');
  await shot(`/compare/${cmpA.traceID}/${cmpB.traceID}`, 'compare');
  await shot('/services?service=checkout', 'services');
  await page.evaluate(() => localStorage.setItem('edgetrace-theme', 'dark'));
  await shot(`/trace/${big.traceID}?span=${big.spans[1].spanID}`, 'trace-dark');
} finally {
  await browser.close();
  await site.close();
}
