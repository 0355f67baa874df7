/**
 * Per-key rate limiting of ingest: at most RATE_LIMIT_REQUESTS requests per
 * RATE_LIMIT_PERIOD_SECONDS for each ingest key (with AUTH_REQUIRED=false there is no key and no
 * limit: that mode is for a local look and local benchmarks), counted globally by the key's RateLimiter Durable Object through a per-isolate lease
 * (rate-limit-lease.ts). Over the limit: 429 with Retry-After, which OTLP and Zipkin exporters
 * honour. If the limiter itself cannot be reached the request goes through: a broken limiter
 * must not stop ingest.
 */
import type { MiddlewareHandler } from 'hono';
import { authConfigOf, type AppEnv } from './auth/middleware';
import { ApiError } from './http-error';
import { LeaseCache, type LeaseLimit } from './rate-limit-lease';

const leases = new LeaseCache();

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Counts one request against `key`'s budget. */
export async function checkRateLimit(env: Env, key: string, limit: LeaseLimit): Promise<RateDecision> {
  const local = leases.decide(key, limit, Date.now());
  if (local.kind === 'allow') return { ok: true };
  if (local.kind === 'deny') return { ok: false, retryAfterSeconds: local.retryAfterSeconds };
  let reply: { granted: number; retryAfterMs: number };
  try {
    reply = await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).take(limit.requests, limit.periodSeconds * 1_000, local.want);
  } catch (err) {
    console.error(`rate limiter for ${key} unreachable, letting the request through: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: true };
  }
  const decided = leases.record(key, reply.granted, reply.retryAfterMs, Date.now());
  return decided.kind === 'deny' ? { ok: false, retryAfterSeconds: decided.retryAfterSeconds } : { ok: true };
}

export const ingestRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { rateLimit } = authConfigOf(c);
  const key = c.get('ingestKey');
  // only ingest requests carry a key (auth/middleware.ts)
  if (rateLimit.requests === 0 || !key) return next();
  const decision = await checkRateLimit(c.env, `key:${key.name}`, rateLimit);
  if (!decision.ok)
    throw new ApiError(
      429,
      `rate limit exceeded for ingest key ${JSON.stringify(key.name)}: at most ${rateLimit.requests} requests per ${rateLimit.periodSeconds} s; retry after ${decision.retryAfterSeconds} s`,
      undefined,
      { 'retry-after': String(decision.retryAfterSeconds) },
    );
  await next();
};
