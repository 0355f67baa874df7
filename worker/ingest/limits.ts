/**
 * Limits every decoder enforces on what a request may carry. Hostile or broken clients meet a
 * clear error naming the limit; well-behaved SDKs (512-span batches, 128 attributes a span by
 * default) are far inside them. The body-size limits live in read-body.ts.
 */

export interface IngestLimits {
  /** spans in one request; more refuses the request (413) */
  maxSpansPerRequest: number;
  /** attributes on one span, resource, scope, event or link */
  maxAttributes: number;
  /** events on one span */
  maxEvents: number;
  /** links on one span */
  maxLinks: number;
  /** characters in one string value (and base64 characters of a bytes value) */
  maxValueLength: number;
  /** characters in a span name, event name or attribute key */
  maxNameLength: number;
  /** nesting of array/kvlist values inside an attribute (1 = a plain value) */
  maxValueDepth: number;
  /** how far ahead of the edge's clock a span may start, in seconds */
  maxFutureSeconds: number;
}

export const defaultIngestLimits: IngestLimits = {
  maxSpansPerRequest: 10_000,
  maxAttributes: 1_024,
  maxEvents: 1_024,
  maxLinks: 1_024,
  maxValueLength: 65_536,
  maxNameLength: 1_024,
  maxValueDepth: 8,
  maxFutureSeconds: 86_400,
};

/** 2000-01-01T00:00:00Z in ns: a span starting before it has a broken clock or a unit mistake. */
export const EARLIEST_START_NS = 946_684_800_000_000_000n;

export interface DecodeOptions {
  limits?: Partial<IngestLimits>;
  /** the edge's clock in ns (defaults to Date.now()); spans far in its future are refused */
  nowNanos?: bigint;
}

export interface ResolvedOptions {
  limits: IngestLimits;
  nowNanos: bigint;
  /** latest acceptable start, ns as a decimal string */
  latestStart: string;
}

export function resolveOptions(opts: DecodeOptions = {}): ResolvedOptions {
  const limits = { ...defaultIngestLimits, ...opts.limits };
  const nowNanos = opts.nowNanos ?? BigInt(Date.now()) * 1_000_000n;
  return { limits, nowNanos, latestStart: (nowNanos + BigInt(limits.maxFutureSeconds) * 1_000_000_000n).toString() };
}
