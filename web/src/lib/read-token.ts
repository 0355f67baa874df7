/**
 * Read access from the site (issue 9): when the API answers 401 the site asks for the read token
 * once, keeps it in a cookie and sends it as `Authorization: Bearer` from then on. This is the
 * pure part — the cookie's text both ways, the header, and the gate that decides when to ask —
 * so that the browser shell (read-access.ts) only touches `document.cookie` and the dialog.
 */

export const READ_TOKEN_COOKIE = 'edgetrace_read_token';
/** How long the browser keeps the token: 30 days. */
export const READ_TOKEN_MAX_AGE_SECONDS = 30 * 86_400;

/** The read token in a `document.cookie` string, or null. */
export function tokenFromCookies(cookies: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== READ_TOKEN_COOKIE) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      const token = decodeURIComponent(raw);
      return token === '' ? null : token;
    } catch {
      // A cookie this site did not write (bad %-escape): as good as none, the user is asked again.
      return null;
    }
  }
  return null;
}

/**
 * The `document.cookie` assignment that stores `token`: whole site, SameSite=Strict (no other
 * site's page can make the browser send it), Secure when the site is served over HTTPS.
 */
export function tokenCookie(token: string, secure: boolean, maxAgeSeconds = READ_TOKEN_MAX_AGE_SECONDS): string {
  return `${READ_TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; Max-Age=${maxAgeSeconds}; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** `init` with `Authorization: Bearer <token>` added (unchanged without a token). */
export function withBearer(init: RequestInit | undefined, token: string | null): RequestInit {
  if (!token) return init ?? {};
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
}

/** Why the user is asked: no token yet, or the one sent was refused. */
export type AskReason = 'missing' | 'refused';

/**
 * Decides, on a 401, which token to retry with. Many requests fail at once when a page opens:
 * they share one question. A token someone else just entered is used without asking. And once
 * the user has dismissed the question, the page stops asking (it shows the 401's message instead).
 */
export class TokenGate {
  private asking: Promise<string | null> | null = null;
  private dismissed = false;

  constructor(
    private readonly store: TokenStore,
    private readonly ask: (reason: AskReason) => Promise<string | null>,
  ) {}

  /** The token to send now (null: none yet). */
  current(): string | null {
    return this.store.get();
  }

  /** After a 401 for a request sent with `refused` (null: sent without one): the token to retry with, or null. */
  renew(refused: string | null): Promise<string | null> {
    if (this.asking) return this.asking;
    const now = this.store.get();
    if (now !== null && now !== refused) return Promise.resolve(now);
    if (this.dismissed) return Promise.resolve(null);
    this.asking = this.ask(refused === null ? 'missing' : 'refused').then(
      (answer) => {
        this.asking = null;
        const token = answer?.trim() ?? '';
        if (token === '') {
          this.dismissed = true;
          return null;
        }
        this.store.set(token);
        return token;
      },
      (err: unknown) => {
        this.asking = null;
        throw err;
      },
    );
    return this.asking;
  }
}
