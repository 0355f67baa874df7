/**
 * Read access from the site, the pure part: when a read answers 401 the site asks for the read
 * token once, signs in with it at `POST /api/session` (the Worker answers with an HttpOnly session
 * cookie holding a signature, never the token) and the reads retry. The site keeps nothing of the
 * token. Here: what `GET /api/session` and `POST /api/session` answers mean, and the gate that
 * decides when to ask; the browser shell (read-access.ts) only does the fetches and the dialog.
 */
import type { Result } from './result';
import { guard, Invalid, obj } from './validate-core';

/** `GET /api/session`: whether reads need auth, whether this browser has it, and how. */
export interface SessionStatus {
  authRequired: boolean;
  authenticated: boolean;
  via: 'access' | 'token' | 'session' | null;
  methods: { readToken: boolean; access: boolean };
}

const VIAS: readonly unknown[] = ['access', 'token', 'session', null];

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new Invalid(path, 'must be a boolean');
  return v;
}

export const sessionStatusFrom = (body: unknown): Result<SessionStatus> =>
  guard(() => {
    const o = obj(body, '');
    const m = obj(o.methods, 'methods');
    if (!VIAS.includes(o.via)) throw new Invalid('via', 'must be "access", "token", "session" or null');
    return {
      authRequired: bool(o.authRequired, 'authRequired'),
      authenticated: bool(o.authenticated, 'authenticated'),
      via: o.via as SessionStatus['via'],
      methods: { readToken: bool(m.readToken, 'methods.readToken'), access: bool(m.access, 'methods.access') },
    };
  });

/**
 * Whether asking for the read token can help. Not for a Cloudflare Access user (Access vouches
 * for them), nor when the Worker has no READ_TOKEN (a sign-in would be refused). An unknown
 * status (the session endpoint did not answer) asks: the sign-in's answer then says what is wrong.
 */
export function shouldAsk(status: SessionStatus | null): boolean {
  if (status === null) return true;
  return status.via !== 'access' && status.methods.readToken;
}

/** Whether the site can sign this browser out: its access comes from the read token, not Access. */
export const signedInWithToken = (status: SessionStatus | null): boolean => status?.via === 'session' || status?.via === 'token';

export type SignInOutcome = { ok: true } | { ok: false; message: string };

/**
 * What `POST /api/session` answered: 204 is signed in; otherwise the server's message (a wrong
 * token, no READ_TOKEN set, too many attempts), or the status when the body has none.
 */
export function signInOutcome(status: number, body: unknown): SignInOutcome {
  if (status === 204) return { ok: true };
  const errors = typeof body === 'object' && body !== null ? (body as { errors?: unknown }).errors : undefined;
  const messages = Array.isArray(errors)
    ? errors.map((e) => (typeof e === 'object' && e !== null ? (e as { msg?: unknown }).msg : undefined)).filter((m): m is string => typeof m === 'string' && m !== '')
    : [];
  return { ok: false, message: messages.length ? messages.join('; ') : `sign-in failed: HTTP ${status}` };
}

/** The question put to the user (the dialog): one per sign-in, answered until it is over. */
export interface SignInQuestion {
  /** Tries a token: null once signed in (the question is over), else the message to show before asking again. */
  submit(token: string): Promise<string | null>;
  /** The user gave up: the reads waiting keep their 401. */
  cancel(): void;
}

export interface SignInGateDeps {
  /** Whether asking can help (see shouldAsk); asked once per question. */
  mayAsk(): Promise<boolean>;
  /** Shows the question; with nobody to show it to, cancels it. */
  ask(question: SignInQuestion): void;
  signIn(token: string): Promise<SignInOutcome>;
}

/**
 * Decides, on a 401, whether a read should retry. Many reads fail at once when a page opens:
 * they share one question. A read refused before someone else signed in retries without asking.
 * And once the user has dismissed the question (or it cannot help), the page stops asking and
 * shows the 401's message instead.
 */
export class SignInGate {
  private asking: Promise<boolean> | null = null;
  private dismissed = false;
  private signIns = 0;

  constructor(private readonly deps: SignInGateDeps) {}

  /** Sign-ins so far: a read notes it when it is sent and hands it to `renew` on a 401. */
  get epoch(): number {
    return this.signIns;
  }

  /** After a 401 for a read sent at `sentAt` (its epoch): true to retry, false to keep the 401. */
  renew(sentAt: number): Promise<boolean> {
    if (this.asking) return this.asking;
    if (sentAt !== this.signIns) return Promise.resolve(true);
    if (this.dismissed) return Promise.resolve(false);
    const asking = this.question();
    this.asking = asking;
    const over = () => {
      if (this.asking === asking) this.asking = null;
    };
    asking.then(over, over);
    return asking;
  }

  private async question(): Promise<boolean> {
    if (!(await this.deps.mayAsk())) {
      this.dismissed = true;
      return false;
    }
    return new Promise<boolean>((resolve) => {
      let over = false;
      this.deps.ask({
        submit: async (token) => {
          const t = token.trim();
          if (over) return null;
          if (t === '') return 'enter the read token';
          const outcome = await this.deps.signIn(t).catch(
            (err: unknown): SignInOutcome => ({ ok: false, message: `sign-in failed: ${err instanceof Error ? err.message : String(err)}` }),
          );
          if (over) return null;
          if (!outcome.ok) return outcome.message;
          over = true;
          this.signIns++;
          resolve(true);
          return null;
        },
        cancel: () => {
          if (over) return;
          over = true;
          this.dismissed = true;
          resolve(false);
        },
      });
    });
  }
}
