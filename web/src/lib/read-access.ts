/**
 * The browser side of read access: the one SignInGate of the page, whose question is answered by
 * the ReadTokenDialog component (which listens with `onSignInQuestion`), and the calls to
 * `/api/session`. The token goes to the Worker once, in the sign-in's body; the session cookie it
 * sets is HttpOnly, and same-origin fetches send it by themselves.
 */
import { SignInGate, sessionStatusFrom, shouldAsk, signedInWithToken, signInOutcome, type SessionStatus, type SignInQuestion } from './read-token';

const SESSION_URL = '/api/session';

let listener: ((q: SignInQuestion) => void) | null = null;
const signedInWatchers = new Set<(signedIn: boolean) => void>();

/** The dialog registers here; returns the function that unregisters it. */
export function onSignInQuestion(show: (q: SignInQuestion) => void): () => void {
  listener = show;
  return () => {
    if (listener === show) listener = null;
  };
}

/** `GET /api/session`, or null when it cannot be read (the caller then does not know). */
async function sessionStatus(): Promise<SessionStatus | null> {
  try {
    const res = await fetch(SESSION_URL, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    const r = sessionStatusFrom(await res.json());
    return r.ok ? r.value : null;
  } catch (err) {
    console.warn(`${SESSION_URL} could not be read: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

async function signIn(token: string) {
  const res = await fetch(SESSION_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token }),
    credentials: 'same-origin',
  });
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  const outcome = signInOutcome(res.status, body);
  if (outcome.ok) for (const watch of signedInWatchers) watch(true);
  return outcome;
}

export const readAccess = new SignInGate({
  mayAsk: async () => shouldAsk(await sessionStatus()),
  // With no dialog on the page (it mounts with the layout) there is nobody to ask.
  ask: (q) => (listener ? listener(q) : q.cancel()),
  signIn,
});

/**
 * Calls `watch` with whether this browser is signed in with the read token (so it can sign out):
 * once from `GET /api/session`, and again after a sign-in on this page. Returns the unsubscribe.
 */
export function watchSignedIn(watch: (signedIn: boolean) => void): () => void {
  signedInWatchers.add(watch);
  const at = readAccess.epoch;
  // An answer that left before a sign-in on this page is stale once it lands.
  void sessionStatus().then((s) => signedInWatchers.has(watch) && readAccess.epoch === at && watch(signedInWithToken(s)));
  return () => signedInWatchers.delete(watch);
}

/** Ends the read-token session (`DELETE /api/session`) and reloads; the error when it failed. */
export async function signOut(): Promise<string | null> {
  try {
    const res = await fetch(SESSION_URL, { method: 'DELETE', credentials: 'same-origin' });
    if (res.status !== 204) return `sign-out failed: HTTP ${res.status}`;
  } catch (err) {
    return `sign-out failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  location.reload();
  return null;
}
