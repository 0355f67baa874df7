/**
 * RateLimiter Durable Object: one per ingest key, holding that key's token bucket
 * (rate-limiter-bucket.ts). The bucket lives in memory only, on purpose: writing it to storage
 * would bill a row write per request, and an object is evicted only after it has been idle —
 * by which time the bucket would have refilled anyway — so losing it only ever errs towards
 * letting a request through.
 */
import { DurableObject } from 'cloudflare:workers';
import { takeTokens, type BucketState } from './rate-limiter-bucket';

export interface TakeReply {
  granted: number;
  retryAfterMs: number;
}

export class RateLimiter extends DurableObject<Env> {
  private bucket: BucketState | null = null;

  /** Takes up to `want` tokens from a bucket of `capacity` tokens per `periodMs`. */
  async take(capacity: number, periodMs: number, want: number): Promise<TakeReply> {
    const { state, granted, retryAfterMs } = takeTokens(this.bucket, { capacity, periodMs }, want, Date.now());
    this.bucket = state;
    return { granted, retryAfterMs };
  }
}
