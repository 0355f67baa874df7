/**
 * Limits every decoder enforces on what a request may carry. Hostile or broken clients meet a
 * clear error naming the limit; well-behaved SDKs (512-span batches, 128 attributes a span by
 * default) are far inside them. The body-size and JSON-shape limits live in read-body.ts.
 */
import { DecodeError } from './decode-error';

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
  /** how far ahead of the edge's clock a span may start or end, or an event happen, in seconds */
  maxFutureSeconds: number;
  /**
   * attributes (of spans, resources, scopes, events and links), events, links and array/kvlist
   * elements across the whole request; more refuses the request (413). The per-span limits alone
   * allow 10,000 spans x 1,024 attributes, and a decoded attribute costs ~100 bytes of heap even
   * when empty: 1,100 spans of 1,000 empty attributes (a 7.4 MB body) held 112 MB in Node, and a
   * Worker has 128 MB. At this limit the decoded items stay near 20 MB, while a full SDK batch of
   * 512 spans x 128 attributes (65,536 items) uses a third of it.
   */
  maxItemsPerRequest: number;
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
  maxItemsPerRequest: 200_000,
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
  /** latest acceptable start, end or event time, ns as a decimal string */
  latestStart: string;
  /** what this request has used of `maxItemsPerRequest` */
  budget: ItemBudget;
}

/** Counts a request's items (see `maxItemsPerRequest`) as they are decoded: one per request. */
export class ItemBudget {
  private used = 0;

  constructor(readonly max: number) {}

  /** Takes `n` items; past the limit the whole request is refused, before more memory is spent on it. */
  take(n: number): void {
    this.used += n;
    if (this.used > this.max)
      throw new DecodeError(
        `the request holds more than ${this.max} attributes, events, links and array/kvlist values; the limit is ${this.max} a request: send smaller batches`,
        '',
        413,
      );
  }
}

/** Resolves the options of one decode call; the budget it holds is that request's. */
export function resolveOptions(opts: DecodeOptions = {}): ResolvedOptions {
  const limits = { ...defaultIngestLimits, ...opts.limits };
  const nowNanos = opts.nowNanos ?? BigInt(Date.now()) * 1_000_000n;
  return {
    limits,
    nowNanos,
    latestStart: (nowNanos + BigInt(limits.maxFutureSeconds) * 1_000_000_000n).toString(),
    budget: new ItemBudget(limits.maxItemsPerRequest),
  };
}
