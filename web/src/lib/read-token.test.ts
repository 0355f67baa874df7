import { describe, expect, it } from 'vitest';
import {
  SignInGate,
  sessionStatusFrom,
  shouldAsk,
  signedInWithToken,
  signInOutcome,
  type SessionStatus,
  type SignInOutcome,
  type SignInQuestion,
} from './read-token';

const status = (over: Partial<SessionStatus> = {}): SessionStatus => ({
  authRequired: true,
  authenticated: false,
  via: null,
  methods: { readToken: true, access: false },
  ...over,
});

describe('GET /api/session', () => {
  it('is read into a typed status, or names the bad field', () => {
    const body = { authRequired: true, authenticated: true, via: 'session', methods: { readToken: true, access: true } };
    expect(sessionStatusFrom(body)).toEqual({ ok: true, value: body });
    expect(sessionStatusFrom({ ...body, via: 'cookie' })).toMatchObject({ ok: false, error: { path: 'via' } });
    expect(sessionStatusFrom({ ...body, methods: { readToken: 'yes', access: false } })).toMatchObject({ ok: false, error: { path: 'methods.readToken' } });
    expect(sessionStatusFrom(null)).toMatchObject({ ok: false });
  });
  it('asks for the token unless Cloudflare Access vouches or no read token is set; unknown asks', () => {
    expect(shouldAsk(status())).toBe(true);
    expect(shouldAsk(null)).toBe(true);
    expect(shouldAsk(status({ authenticated: true, via: 'access', methods: { readToken: true, access: true } }))).toBe(false);
    expect(shouldAsk(status({ methods: { readToken: false, access: true } }))).toBe(false);
  });
  it('offers sign-out only to a session that came from the read token', () => {
    expect(signedInWithToken(status({ authenticated: true, via: 'session' }))).toBe(true);
    expect(signedInWithToken(status({ authenticated: true, via: 'access' }))).toBe(false);
    expect(signedInWithToken(status({ authRequired: false, authenticated: true }))).toBe(false);
    expect(signedInWithToken(null)).toBe(false);
  });
});

describe('POST /api/session', () => {
  it('is signed in on 204, and otherwise says the server’s message or the status', () => {
    expect(signInOutcome(204, null)).toEqual({ ok: true });
    const envelope = (msg: string, code: number) => ({ data: null, errors: [{ code, msg }] });
    expect(signInOutcome(401, envelope('the read token is wrong', 401))).toEqual({ ok: false, message: 'the read token is wrong' });
    expect(signInOutcome(429, envelope('too many sign-in attempts; retry after 42 s', 429))).toEqual({
      ok: false,
      message: 'too many sign-in attempts; retry after 42 s',
    });
    expect(signInOutcome(502, null)).toEqual({ ok: false, message: 'sign-in failed: HTTP 502' });
  });
});

/** A gate over a server that takes `right`, with a user the test plays through the questions shown. */
function harness(opts: { right?: string; mayAsk?: boolean } = {}) {
  const questions: SignInQuestion[] = [];
  const tried: string[] = [];
  let mayAskCalls = 0;
  const gate = new SignInGate({
    mayAsk: async () => (mayAskCalls++, opts.mayAsk ?? true),
    ask: (q) => questions.push(q),
    signIn: async (token): Promise<SignInOutcome> => {
      tried.push(token);
      return token === (opts.right ?? 'right') ? { ok: true } : { ok: false, message: 'the read token is wrong' };
    },
  });
  /** Lets the gate's awaits run, so that a question is shown. */
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { gate, questions, tried, settle, mayAskCalls: () => mayAskCalls };
}

describe('SignInGate', () => {
  it('asks once for many reads refused together, signs in, and lets all of them retry', async () => {
    const h = harness();
    const waits = [h.gate.renew(0), h.gate.renew(0), h.gate.renew(0)];
    await h.settle();
    expect(h.questions).toHaveLength(1);
    expect(await h.questions[0]!.submit('  right ')).toBeNull();
    expect(await Promise.all(waits)).toEqual([true, true, true]);
    expect(h.tried).toEqual(['right']);
    expect(h.gate.epoch).toBe(1);
  });
  it('keeps the question open with the server’s message for a wrong token', async () => {
    const h = harness();
    const wait = h.gate.renew(0);
    await h.settle();
    const q = h.questions[0]!;
    expect(await q.submit('wrong')).toBe('the read token is wrong');
    expect(await q.submit('   ')).toBe('enter the read token');
    expect(await q.submit('right')).toBeNull();
    expect(await wait).toBe(true);
    expect(h.tried).toEqual(['wrong', 'right']);
    expect(h.questions).toHaveLength(1);
  });
  it('shows a failed sign-in request as a message, and asks on', async () => {
    const questions: SignInQuestion[] = [];
    const gate = new SignInGate({
      mayAsk: async () => true,
      ask: (q) => questions.push(q),
      signIn: () => Promise.reject(new Error('network down')),
    });
    void gate.renew(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(await questions[0]!.submit('t')).toBe('sign-in failed: network down');
  });
  it('retries a read refused before someone else signed in, without asking', async () => {
    const h = harness();
    const first = h.gate.renew(0);
    await h.settle();
    await h.questions[0]!.submit('right');
    await first;
    expect(await h.gate.renew(0)).toBe(true);
    expect(h.questions).toHaveLength(1);
  });
  it('asks again when a read is refused after the sign-in (the session ended)', async () => {
    const h = harness();
    const first = h.gate.renew(0);
    await h.settle();
    await h.questions[0]!.submit('right');
    await first;
    void h.gate.renew(1);
    await h.settle();
    expect(h.questions).toHaveLength(2);
  });
  it('stops asking once the user cancels: the reads keep their 401', async () => {
    const h = harness();
    const wait = h.gate.renew(0);
    await h.settle();
    h.questions[0]!.cancel();
    expect(await wait).toBe(false);
    expect(await h.gate.renew(0)).toBe(false);
    expect(h.questions).toHaveLength(1);
    expect(h.tried).toEqual([]);
  });
  it('never asks when asking cannot help (Cloudflare Access, no read token), and checks that once', async () => {
    const h = harness({ mayAsk: false });
    expect(await Promise.all([h.gate.renew(0), h.gate.renew(0)])).toEqual([false, false]);
    expect(await h.gate.renew(0)).toBe(false);
    expect(h.questions).toHaveLength(0);
    expect(h.mayAskCalls()).toBe(1);
  });
  it('ignores a cancel after the sign-in succeeded', async () => {
    const h = harness();
    const wait = h.gate.renew(0);
    await h.settle();
    const q = h.questions[0]!;
    await q.submit('right');
    q.cancel();
    expect(await wait).toBe(true);
    void h.gate.renew(1);
    await h.settle();
    expect(h.questions).toHaveLength(2);
  });
});
