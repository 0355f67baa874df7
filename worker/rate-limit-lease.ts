/**
 * The edge's side of per-key rate limiting. Asking the key's RateLimiter Durable Object on every
 * request would put one round trip (and one object's ~1,000 requests/s ceiling) in front of every
 * ingest, so an isolate takes a small lease of tokens — 10 ms worth of the key's rate, at most 100
 * — and spends it locally for up to a second. Unspent tokens simply lapse, which errs towards
 * limiting. After a refusal the isolate refuses that key locally until the Retry-After time, so a
 * flood from one key does not turn into a flood of object calls.
 */

export interface LeaseLimit {
  /** requests per period */
  requests: number;
  periodSeconds: number;
}

const LEASE_MS = 1_000;
const MAX_LEASE = 100;

/** How many tokens one isolate asks for at a time. */
export function leaseSize(limit: LeaseLimit): number {
  const perSecond = limit.requests / limit.periodSeconds;
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(perSecond / 100)));
}

export type LocalDecision = { kind: 'allow' } | { kind: 'deny'; retryAfterSeconds: number } | { kind: 'ask'; want: number };

interface Lease {
  tokens: number;
  expiresAtMs: number;
  blockedUntilMs: number;
}

export class LeaseCache {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly maxKeys = 10_000) {}

  /** Decides from the local lease, or says to ask the key's object for `want` tokens. */
  decide(key: string, limit: LeaseLimit, nowMs: number): LocalDecision {
    const lease = this.leases.get(key);
    if (lease && lease.blockedUntilMs > nowMs) return { kind: 'deny', retryAfterSeconds: Math.max(1, Math.ceil((lease.blockedUntilMs - nowMs) / 1_000)) };
    if (lease && lease.tokens > 0 && lease.expiresAtMs > nowMs) {
      lease.tokens--;
      return { kind: 'allow' };
    }
    return { kind: 'ask', want: leaseSize(limit) };
  }

  /** Records the object's answer for this request: spends one granted token, keeps the rest. */
  record(key: string, granted: number, retryAfterMs: number, nowMs: number): LocalDecision {
    this.leases.delete(key);
    if (granted > 0) {
      this.leases.set(key, { tokens: granted - 1, expiresAtMs: nowMs + LEASE_MS, blockedUntilMs: 0 });
      this.trim();
      return { kind: 'allow' };
    }
    const wait = Math.max(1_000, retryAfterMs);
    this.leases.set(key, { tokens: 0, expiresAtMs: 0, blockedUntilMs: nowMs + wait });
    this.trim();
    return { kind: 'deny', retryAfterSeconds: Math.ceil(wait / 1_000) };
  }

  private trim(): void {
    while (this.leases.size > this.maxKeys) this.leases.delete(this.leases.keys().next().value as string);
  }
}
