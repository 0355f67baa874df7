/**
 * Browser tests of the Services page (issue 8): real headless Chromium against the real stack
 * (`npm start` → wrangler dev), with spans sent by the real OpenTelemetry exporter.
 * Run: `npm run test:browser`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './chromium.mjs';
import { sendCheckoutTrace, startStack, waitStored } from './stack.mjs';

/** Polls `path` until `ok(body)` holds; the registry and the map fill in within seconds. */
async function waitFor(url, path, ok, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}${path}`);
    const text = await res.text();
    last = `${res.status} ${text.slice(0, 300)}`;
    if (res.ok && ok(JSON.parse(text))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${path} did not get there within ${timeoutMs} ms; last answer: ${last}`);
}

const row = (page, service) => page.locator(`[data-testid=services] tr[data-service="${service}"]`);

describe('the Services page in Chromium', { timeout: 600_000 }, () => {
  let stack;
  let browser;
  let page;

  before(async () => {
    stack = await startStack();
    const sent = await sendCheckoutTrace(stack.url);
    await waitStored(stack.url, sent.traceId);
    await waitFor(stack.url, '/api/registry', (b) => ['frontend', 'checkout', 'payments'].every((s) => b.data.some((x) => x.service === s && x.instances.length > 0)));
    await waitFor(stack.url, '/api/service-map?lookback=3600000', (b) => b.data.length >= 2);
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lists every service with its live instances and its request rate', async () => {
    await page.goto(`${stack.url}/services`);
    for (const s of ['frontend', 'checkout', 'payments']) {
      await row(page, s).waitFor();
      assert.match(await row(page, s).innerText(), /1 live/, `${s} has its one instance, live`);
    }
    // The RED figures come from spans counted before sampling: a rate, not the "no data" dash.
    await page.waitForFunction((sel) => /\/s/.test(document.querySelector(sel)?.textContent ?? ''), '[data-testid=services] tr[data-service="payments"]');
    assert.match(await row(page, 'payments').innerText(), /100%/, 'the failed Charge makes payments fail every call');
  });

  it('opens a service: its instances and its operations with exact counts', async () => {
    await page.goto(`${stack.url}/services`);
    await row(page, 'checkout').getByRole('button', { name: 'Open checkout' }).click();
    await page.waitForURL(/[?&]service=checkout/);
    const detail = page.getByTestId('service-detail');
    assert.match(await detail.getByTestId('instances').innerText(), /checkout-host\s+checkout-host/);
    const ops = detail.getByTestId('operations');
    await ops.waitFor();
    const text = await ops.innerText();
    assert.match(text, /PlaceOrder\s+server\s+1\b/);
    assert.match(text, /INSERT orders\s+client\s+1\b/);
    assert.equal(await ops.locator('a', { hasText: 'PlaceOrder' }).getAttribute('href'), '/?service=checkout&operation=PlaceOrder');
  });

  it('draws the service map with the calls between services, the failing one marked', async () => {
    await page.goto(`${stack.url}/services`);
    const map = page.getByTestId('service-map');
    await map.waitFor();
    const nodes = await map.locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
    assert.deepEqual(new Set(nodes), new Set(['frontend', 'checkout', 'payments']));
    const edges = await map.locator('[data-edge]').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
    assert.deepEqual(new Set(edges), new Set(['frontend>checkout', 'checkout>payments']));
    const failing = map.locator('[data-edge="checkout>payments"]');
    assert.match(await failing.getAttribute('class'), /\berr\b/);
    assert.match(await failing.locator('text').textContent(), /\/s · 100% err/);
  });

  it('a click on a service opens the search, filled in, which finds its trace', async () => {
    await page.goto(`${stack.url}/services`);
    await row(page, 'payments').getByRole('link', { name: 'payments' }).click();
    await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('service') === 'payments');
    await page.locator('[data-testid=results] a[href^="/trace/"]').first().waitFor();
  });
});
