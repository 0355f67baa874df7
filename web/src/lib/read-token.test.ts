import { describe, expect, it } from 'vitest';
import { READ_TOKEN_COOKIE, TokenGate, tokenCookie, tokenFromCookies, withBearer, type AskReason } from './read-token';

describe('the read-token cookie', () => {
  it('is written for the whole site, SameSite=Strict, Secure only over https, and read back', () => {
    expect(tokenCookie('s3cret', false)).toBe(`${READ_TOKEN_COOKIE}=s3cret; Path=/; Max-Age=2592000; SameSite=Strict`);
    expect(tokenCookie('s3cret', true)).toMatch(/; SameSite=Strict; Secure$/);
    expect(tokenFromCookies(`theme=dark; ${READ_TOKEN_COOKIE}=s3cret; other=1`)).toBe('s3cret');
  });
  it('round-trips tokens with ; = and spaces, and is absent, empty or broken as null', () => {
    const token = 'a b;c=d%';
    const value = tokenCookie(token, false).split(';')[0]!;
    expect(tokenFromCookies(value)).toBe(token);
    expect(tokenFromCookies('theme=dark')).toBeNull();
    expect(tokenFromCookies(`${READ_TOKEN_COOKIE}=; theme=dark`)).toBeNull();
    expect(tokenFromCookies(`${READ_TOKEN_COOKIE}=%E0%A4%A`)).toBeNull();
  });
});

describe('withBearer', () => {
  it('adds the Authorization header and keeps the other headers', () => {
    const init = withBearer({ headers: { accept: 'application/json' } }, 'tok');
    const h = new Headers(init.headers);
    expect([h.get('authorization'), h.get('accept')]).toEqual(['Bearer tok', 'application/json']);
    expect(withBearer({ method: 'GET' }, null)).toEqual({ method: 'GET' });
  });
});

/** A gate over an in-memory cookie, with a question the test answers. */
function harness(initial: string | null = null) {
  let stored = initial;
  const asked: AskReason[] = [];
  const answers: Array<(t: string | null) => void> = [];
  const gate = new TokenGate(
    { get: () => stored, set: (t) => (stored = t) },
    (reason) => {
      asked.push(reason);
      return new Promise((r) => answers.push(r));
    },
  );
  return { gate, asked, answer: (t: string | null) => answers.shift()!(t), stored: () => stored };
}

describe('TokenGate', () => {
  it('asks once for many requests refused together, stores the answer and hands it to all', async () => {
    const h = harness();
    const waits = [h.gate.renew(null), h.gate.renew(null), h.gate.renew(null)];
    expect(h.asked).toEqual(['missing']);
    h.answer('  tok-1 ');
    expect(await Promise.all(waits)).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(h.stored()).toBe('tok-1');
    expect(h.gate.current()).toBe('tok-1');
  });
  it('retries with a token entered meanwhile without asking again', async () => {
    const h = harness('new');
    expect(await h.gate.renew('old')).toBe('new');
    expect(h.asked).toEqual([]);
  });
  it('asks again, saying so, when the stored token is refused', async () => {
    const h = harness('wrong');
    const wait = h.gate.renew('wrong');
    expect(h.asked).toEqual(['refused']);
    h.answer('right');
    expect(await wait).toBe('right');
  });
  it('stops asking once the user dismisses the question', async () => {
    const h = harness();
    const wait = h.gate.renew(null);
    h.answer(null);
    expect(await wait).toBeNull();
    expect(await h.gate.renew(null)).toBeNull();
    expect(h.asked).toEqual(['missing']);
    expect(h.stored()).toBeNull();
  });
});
