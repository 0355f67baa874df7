/**
 * The token bucket behind per-key rate limiting: `capacity` tokens, refilled continuously at
 * capacity / period, one token per request. A caller may take several tokens at once (a lease, see
 * worker/rate-limit-lease.ts) and gets what is there, up to what it asked for; when the bucket is
 * empty it learns how long until the next token.
 */

export interface BucketLimit {
  /** tokens when full: the requests allowed per period */
  capacity: number;
  periodMs: number;
}

export interface BucketState {
  tokens: number;
  updatedAtMs: number;
}

export interface TakeResult {
  state: BucketState;
  granted: number;
  /** when nothing was granted: ms until one token is back */
  retryAfterMs: number;
}

export function takeTokens(state: BucketState | null, limit: BucketLimit, want: number, nowMs: number): TakeResult {
  const perMs = limit.capacity / limit.periodMs;
  const elapsed = state ? Math.max(0, nowMs - state.updatedAtMs) : 0;
  // A changed (lowered) capacity applies at once; a new bucket starts full.
  const tokens = state ? Math.min(limit.capacity, state.tokens + elapsed * perMs) : limit.capacity;
  const granted = Math.max(0, Math.min(Math.floor(want), Math.floor(tokens)));
  const left = tokens - granted;
  const retryAfterMs = granted > 0 ? 0 : Math.ceil((1 - left) / perMs);
  return { state: { tokens: left, updatedAtMs: nowMs }, granted, retryAfterMs };
}
