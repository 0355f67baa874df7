/**
 * The Cloudflare Access team's signing keys, fetched from its certs endpoint and kept per isolate:
 * fetched again after an hour, or sooner when a token names a key we do not have (Access rotates
 * its keys), but at most one attempt a minute so that forged `kid`s or an unreachable endpoint
 * cannot make every request fetch. Concurrent requests share one fetch. When a refresh fails the
 * keys we have stay in use.
 */

/** Fetches a URL and returns its JSON body (throws on a network or HTTP error). */
export type FetchJson = (url: string) => Promise<unknown>;

interface Entry {
  keys: Map<string, CryptoKey>;
  fetchedAtMs: number;
}

export class AccessKeysUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessKeysUnavailableError';
  }
}

const RSA_PARAMS = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** Imports the RSA signing keys of a JWKS document, by kid; other keys are skipped. */
export async function importJwks(doc: unknown): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new AccessKeysUnavailableError('certs document has no keys array');
  for (const jwk of list as Record<string, unknown>[]) {
    if (jwk?.kty !== 'RSA' || typeof jwk.kid !== 'string' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const key = await crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', ext: true }, RSA_PARAMS, false, ['verify']);
    keys.set(jwk.kid, key);
  }
  return keys;
}

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly attemptedAtMs = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<Entry>>();

  constructor(
    private readonly fetchJson: FetchJson,
    private readonly maxAgeMs = 3_600_000,
    private readonly minRefetchMs = 60_000,
  ) {}

  /** The key with this kid from the document at `url`, or null when the team has no such key. */
  async key(url: string, kid: string, nowMs: number): Promise<CryptoKey | null> {
    let entry = this.entries.get(url);
    const wanted = !entry || nowMs - entry.fetchedAtMs >= this.maxAgeMs || !entry.keys.has(kid);
    const lastAttempt = this.attemptedAtMs.get(url);
    const allowed = lastAttempt === undefined || nowMs - lastAttempt >= this.minRefetchMs || this.inflight.has(url);
    if (wanted && allowed) {
      try {
        entry = await this.refresh(url, nowMs);
      } catch (err) {
        if (!entry) throw new AccessKeysUnavailableError(`cannot fetch the Access signing keys from ${url}: ${err instanceof Error ? err.message : String(err)}`);
        console.error(`refreshing the Access signing keys from ${url} failed, using the cached keys: ${String(err)}`);
      }
    }
    if (!entry) throw new AccessKeysUnavailableError(`the Access signing keys from ${url} could not be fetched recently`);
    return entry.keys.get(kid) ?? null;
  }

  private refresh(url: string, nowMs: number): Promise<Entry> {
    let pending = this.inflight.get(url);
    if (!pending) {
      this.attemptedAtMs.set(url, nowMs);
      pending = (async () => {
        const keys = await importJwks(await this.fetchJson(url));
        const entry = { keys, fetchedAtMs: nowMs };
        this.entries.set(url, entry);
        return entry;
      })().finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    return pending;
  }
}
