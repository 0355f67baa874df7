/**
 * Browser tests (issue 7): real headless Chromium against the real stack (`npm start` → wrangler
 * dev) with a trace sent by the real OpenTelemetry exporter to /v1/traces.
 * Run: `npm run test:browser` (node --test test/browser/).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './chromium.mjs';
import { sendCheckoutTrace, startStack, waitSearchable, waitStored } from './stack.mjs';

const ROWS = '[data-testid=waterfall] [role=treeitem]';

describe('edgetrace site in Chromium', { timeout: 600_000 }, () => {
  let stack;
  let browser;
  let page;
  let sent;

  before(async () => {
    stack = await startStack();
    sent = await sendCheckoutTrace(stack.url);
    await waitStored(stack.url, sent.traceId);
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('search finds the trace and links to /trace/{traceId}', async () => {
    await waitSearchable(stack.url, sent.traceId, 'frontend');
    await page.goto(`${stack.url}/?service=frontend`);
    const link = page.locator(`[data-testid=results] a[href="/trace/${sent.traceId}"]`);
    await link.waitFor();
    assert.match(await link.innerText(), /frontend:\s*GET \/checkout/);
    await link.click();
    await page.waitForURL(`**/trace/${sent.traceId}`);
    await page.locator(ROWS).first().waitFor();
  });

  it('serves the hashed site files as immutable (web/static/_headers), the page itself not', async () => {
    const html = await (await fetch(`${stack.url}/`)).text();
    const asset = /\/_app\/immutable\/[^"']+\.js/.exec(html)?.[0];
    assert.ok(asset, 'the page links a script under /_app/immutable/');
    assert.match((await fetch(`${stack.url}${asset}`)).headers.get('cache-control') ?? '', /immutable/);
    assert.doesNotMatch((await fetch(`${stack.url}/`)).headers.get('cache-control') ?? '', /immutable/);
  });

  it('the trace page shows every span', async () => {
    await page.goto(`${stack.url}/trace/${sent.traceId}`);
    await page.locator(ROWS).first().waitFor();
    assert.equal(await page.locator(ROWS).count(), sent.spanCount);
    assert.equal(await page.getByTestId('span-count').innerText(), String(sent.spanCount));
    // the stack runs with SAMPLE_RATE 1: the header says the trace was kept with probability 100%
    assert.match(await page.getByTestId('sampling').innerText(), /Sampled\s+100%/);
    const names = await page.locator(ROWS).allInnerTexts();
    for (const op of ['GET /checkout', 'PlaceOrder', 'INSERT orders', 'Charge']) {
      assert.ok(names.some((n) => n.includes(op)), `${op} is in the waterfall`);
    }
  });

  it('collapsing a span hides its subtree, and expanding brings it back', async () => {
    await page.goto(`${stack.url}/trace/${sent.traceId}`);
    const place = page.locator(ROWS, { hasText: 'PlaceOrder' });
    await place.getByRole('button', { name: 'Collapse' }).click();
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, [ROWS, sent.spanCount - 2]);
    assert.equal(await page.locator(ROWS, { hasText: 'Charge' }).count(), 0);
    assert.match(page.url(), /[?&]c=/, 'the collapse is in the URL');
    await place.getByRole('button', { name: 'Expand' }).click();
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, [ROWS, sent.spanCount]);
  });

  it('the span pane shows attributes and events', async () => {
    await page.goto(`${stack.url}/trace/${sent.traceId}`);
    await page.locator(ROWS, { hasText: 'PlaceOrder' }).click();
    const pane = page.getByTestId('span-detail');
    await pane.waitFor();
    const attrs = await pane.getByTestId('span-attributes').innerText();
    assert.match(attrs, /order\.id\s+ord-4711/);
    assert.match(attrs, /cart\.items\s+3/);
    const events = await pane.getByTestId('span-events').innerText();
    assert.match(events, /cart\.validated/);
    assert.match(events, /cart\.total\s+129\.5/);
    assert.match(page.url(), /[?&]span=[0-9a-f]{16}/, 'the selection is in the URL');
  });

  it('the trace graph renders the call DAG', async () => {
    await page.goto(`${stack.url}/trace/${sent.traceId}?tab=graph`);
    const graph = page.getByTestId('trace-graph');
    await graph.waitFor();
    const nodes = await graph.locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
    assert.deepEqual(new Set(nodes), new Set(['frontend::GET /checkout', 'frontend::POST checkout/place', 'checkout::PlaceOrder', 'checkout::INSERT orders', 'payments::Charge']));
    assert.equal(await graph.locator('path.edge').count(), 4);
    assert.equal(await graph.locator('.node.err').count(), 1, 'the failed Charge is marked');
  });

  it('the Jaeger JSON download round-trips through "Open JSON"', async () => {
    await page.goto(`${stack.url}/trace/${sent.traceId}`);
    await page.locator(ROWS).first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-jaeger').click()]);
    const file = await download.path();
    const body = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(body.data[0].spans.length, sent.spanCount);

    const [otlp] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-otlp').click()]);
    const resourceSpans = JSON.parse(readFileSync(await otlp.path(), 'utf8')).resourceSpans;
    const otlpSpans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.equal(otlpSpans.length, sent.spanCount);

    // Re-open the downloaded file in a fresh page: the same trace, every span, from the file.
    const fresh = await browser.context.newPage();
    await fresh.goto(`${stack.url}/services`);
    await fresh.setInputFiles('[data-testid=open-file]', file);
    await fresh.waitForURL(`**/trace/${body.data[0].traceID}`);
    await fresh.locator(ROWS).first().waitFor();
    assert.equal(await fresh.locator(ROWS).count(), sent.spanCount);
    assert.equal(await fresh.getByTestId('span-count').innerText(), String(sent.spanCount));

    // ... and the OTLP download too: the site converts it back to the same trace
    await fresh.goto(`${stack.url}/services`);
    await fresh.setInputFiles('[data-testid=open-file]', await otlp.path());
    await fresh.waitForURL(`**/trace/${body.data[0].traceID}`);
    await fresh.locator(ROWS).first().waitFor();
    assert.equal(await fresh.locator(ROWS).count(), sent.spanCount);
    await fresh.close();
  });

  it('npm start runs open locally and says so (a deployed instance requires keys)', async () => {
    assert.match(stack.log(), /running with AUTH_REQUIRED=false/);
    assert.match(stack.log(), /pass --var AUTH_REQUIRED:VALUE to change it/);
    const res = await fetch(`${stack.url}/api/services`);
    assert.equal(res.status, 200, 'reads need no token locally');
  });
});
