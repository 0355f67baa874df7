import { describe, expect, it } from 'vitest';
import { readCookie, SESSION_COOKIE, sessionCookieHeader, sessionValue, verifySessionValue } from './session';

const TOKEN = 'read-token-0123456789';

describe('read session cookie', () => {
  it('verifies a value made with the same token before it expires', async () => {
    const v = await sessionValue(TOKEN, 2_000);
    expect(await verifySessionValue(v, TOKEN, 1_999)).toBe(true);
  });
  it('never contains the token', async () => {
    expect(await sessionValue(TOKEN, 2_000)).not.toContain(TOKEN);
  });
  it('refuses an expired value, another token, and tampering', async () => {
    const v = await sessionValue(TOKEN, 2_000);
    expect(await verifySessionValue(v, TOKEN, 2_000)).toBe(false);
    expect(await verifySessionValue(v, `${TOKEN}x`, 1_000)).toBe(false);
    expect(await verifySessionValue(v.replace(/^2000/, '9000'), TOKEN, 1_000)).toBe(false);
    const [exp, mac] = v.split('.') as [string, string];
    const flipped = `${exp}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    expect(await verifySessionValue(flipped, TOKEN, 1_000)).toBe(false);
  });
  it('refuses malformed values without throwing', async () => {
    for (const bad of ['', '.', 'abc', '2000.', '2000.a', '2000.!!!', '-1.abcd', `${'9'.repeat(20)}.abcd`])
      expect(await verifySessionValue(bad, TOKEN, 1_000)).toBe(false);
  });
  it('reads one cookie from a Cookie header', () => {
    expect(readCookie('a=1; edgetrace_session=xyz.abc; b=2', SESSION_COOKIE)).toBe('xyz.abc');
    expect(readCookie('a=1', SESSION_COOKIE)).toBeNull();
    expect(readCookie(null, SESSION_COOKIE)).toBeNull();
  });
  it('sets an HttpOnly, SameSite=Strict cookie, Secure over HTTPS', () => {
    const header = sessionCookieHeader('v', 60, true);
    expect(header).toBe('edgetrace_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(sessionCookieHeader('', 0, false)).not.toContain('Secure');
  });
});
