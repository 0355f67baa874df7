/**
 * Browser test of read access from the site (issue 9): real headless Chromium against the real
 * stack (`npm start` → wrangler dev) with AUTH_REQUIRED=true and a READ_TOKEN. The site signs in
 * once through /api/session and holds nothing of the token afterwards: the session lives in an
 * HttpOnly cookie that scripts cannot read. Run: `node --test test/browser/read-access.test.mjs`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './chromium.mjs';
import { startStack } from './stack.mjs';

const TOKEN = 'a-read-token-for-the-browser-test';

describe('read access from the site', { timeout: 600_000 }, () => {
  let stack;
  let browser;

  before(async () => {
    stack = await startStack({ AUTH_REQUIRED: 'true', READ_TOKEN: TOKEN });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('npm start --var AUTH_REQUIRED:true keeps it, and ingest without a key is refused with how to get one', async () => {
    assert.match(stack.log(), /AUTH_REQUIRED as given on the command line/);
    const res = await fetch(`${stack.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /npm run keys/);
  });

  it('signs in once with the read token, keeps only an HttpOnly session, and signs out', async () => {
    const page = await browser.context.newPage();
    const bearers = [];
    const signIns = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/') && r.headers().authorization) bearers.push(r.url());
      if (r.url().endsWith('/api/session') && r.method() === 'POST') signIns.push(r.url());
    });
    const loaded = () => page.getByText('No services yet').waitFor();
    const dialog = page.getByTestId('read-token-dialog');

    await page.goto(`${stack.url}/services`);
    await dialog.waitFor();
    await dialog.getByTestId('read-token').fill('not-the-token-at-all');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    const problem = dialog.getByTestId('read-token-problem');
    await problem.waitFor();
    assert.equal(await problem.innerText(), 'the read token is wrong', "the server's message");
    assert.equal(await dialog.isVisible(), true, 'asked again');
    await dialog.getByTestId('read-token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await loaded();
    // The page opens with several reads at once, all refused: one question, one sign-in per answer.
    assert.equal(signIns.length, 2);

    const cookies = await browser.context.cookies(stack.url);
    const session = cookies.find((c) => c.name === 'edgetrace_session');
    assert.ok(session, 'the Worker set the session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.ok(cookies.every((c) => !decodeURIComponent(c.value).includes(TOKEN)), 'no cookie holds the token');
    const visible = await page.evaluate(() => ({ cookie: document.cookie, storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) }));
    assert.ok(!visible.cookie.includes('edgetrace_session'), 'scripts cannot read the session');
    assert.ok(!decodeURIComponent(visible.cookie).includes(TOKEN) && !visible.storage.includes(TOKEN), 'the page keeps nothing of the token');
    assert.deepEqual(bearers, [], 'no read carries an Authorization header');

    // A reload rides on the session: no question.
    await page.reload();
    await loaded();
    assert.equal(await dialog.isVisible(), false);
    await page.getByTestId('sign-out').waitFor();

    // Sign out ends the session; the reloaded page asks again, and Cancel leaves the 401 showing.
    await page.getByTestId('sign-out').click();
    await dialog.waitFor();
    assert.equal((await browser.context.cookies(stack.url)).some((c) => c.name === 'edgetrace_session'), false, 'the cookie is cleared');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.match(await page.getByTestId('registry-problem').innerText(), /HTTP 401\b.*read access required/);
    assert.equal(await page.getByTestId('sign-out').count(), 0, 'nothing to sign out of');
    await page.close();
  });
});
