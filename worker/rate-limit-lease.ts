/**
 * The edge's side of per-key rate limiting. Asking the key's RateLimiter Durable Object on every
 * request would put one round trip (and one object's ~1,000 requests/s ceiling) in front of every
 * ingest, so an isolate takes a lease of tokens and spends it locally for up to a second. Unspent
 * tokens lapse, and every lapsed token is a request some other isolate was refused: with a fixed
 * lease of 10, 500 isolates each sending 1 request/s (half the default limit) took 5,000 tokens/s
 * from a bucket refilled at 1,000/s and got ~18% 429s. So the lease adapts per isolate and key:
 * it starts at 1 token, doubles only while a lease is spent within FAST_MS (a busy isolate), is
 * halved when a lease lapses or the isolate goes quiet, and drops back to 1 as soon as the object
 * grants less than was asked (the bucket is nearly empty: every token must go to a request). A
 * quiet isolate then costs one object call per request, as it would anyway, and wastes nothing;
 * a busy one makes about ten calls a second, with at most maxLeaseSize tokens at risk.
 * After a refusal the isolate refuses that key locally until the Retry-After time, so a flood from
 * one key does not turn into a flood of object calls.
 */

export interface LeaseLimit {
  /** requests per period */
  requests: number;
  periodSeconds: number;
}

const LEASE_MS = 1_000;
/** A lease spent faster than this means the isolate is busy enough for a bigger one. */
const FAST_MS = 100;
const MAX_LEASE = 100;

/** The largest lease one isolate may hold: 10 ms worth of the key's rate, between 1 and 100 tokens. */
export function maxLeaseSize(limit: LeaseLimit): number {
  const perSecond = limit.requests / limit.periodSeconds;
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(perSecond / 100)));
}

export type LocalDecision = { kind: 'allow' } | { kind: 'deny'; retryAfterSeconds: number } | { kind: 'ask'; want: number };

interface KeyState {
  /** tokens left in the current lease */
  tokens: number;
  /** tokens the current lease started with */
  size: number;
  grantedAtMs: number;
  expiresAtMs: number;
  blockedUntilMs: number;
  /** tokens to ask for next */
  next: number;
  /** the current lease's pace has been judged (concurrent asks must not double it twice) */
  judged: boolean;
}

export class LeaseCache {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly maxKeys = 10_000) {}

  /** Decides from the local lease, or says to ask the key's object for `want` tokens. */
  decide(key: string, limit: LeaseLimit, nowMs: number): LocalDecision {
    const s = this.keys.get(key);
    if (s && s.blockedUntilMs > nowMs) return { kind: 'deny', retryAfterSeconds: Math.max(1, Math.ceil((s.blockedUntilMs - nowMs) / 1_000)) };
    if (s && s.tokens > 0 && s.expiresAtMs > nowMs) {
      s.tokens--;
      return { kind: 'allow' };
    }
    if (!s) return { kind: 'ask', want: 1 };
    if (!s.judged) {
      s.judged = true;
      const elapsed = nowMs - s.grantedAtMs;
      if (s.tokens === 0 && elapsed < FAST_MS) s.next = s.size * 2;
      // lapsed, or spent and then quiet: the isolate sends fewer than `size` requests a second
      else if (elapsed >= LEASE_MS) s.next = Math.max(1, Math.min(Math.floor(s.size / 2), s.size - s.tokens));
    }
    s.next = Math.min(s.next, maxLeaseSize(limit));
    return { kind: 'ask', want: s.next };
  }

  /** Records the object's answer to an ask: spends one granted token on this request, keeps the rest. */
  record(key: string, granted: number, retryAfterMs: number, nowMs: number): LocalDecision {
    const s = this.keys.get(key);
    this.keys.delete(key);
    if (granted > 0) {
      const asked = s?.next ?? 1;
      // tokens from a concurrent ask's lease are still good: keep them rather than let them lapse
      const kept = s && s.expiresAtMs > nowMs && s.blockedUntilMs <= nowMs ? s.tokens : 0;
      const tokens = granted - 1 + kept;
      const short = granted < asked;
      this.keys.set(key, {
        tokens,
        size: tokens + 1,
        grantedAtMs: nowMs,
        expiresAtMs: nowMs + LEASE_MS,
        blockedUntilMs: 0,
        next: short ? 1 : asked,
        // a short grant says nothing about this isolate's pace: the next ask stays at 1
        judged: short,
      });
      this.trim();
      return { kind: 'allow' };
    }
    const wait = Math.max(1_000, retryAfterMs);
    this.keys.set(key, { tokens: 0, size: 0, grantedAtMs: nowMs, expiresAtMs: 0, blockedUntilMs: nowMs + wait, next: 1, judged: true });
    this.trim();
    return { kind: 'deny', retryAfterSeconds: Math.ceil(wait / 1_000) };
  }

  private trim(): void {
    while (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
  }
}
