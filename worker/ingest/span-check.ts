/**
 * The checks every decoded span passes whatever its wire format: identifiers, times and sizes.
 * Each failure is a `FieldError` naming the field, so the decoder can refuse that one span and keep
 * the rest of the request.
 */
import { FieldError } from './decode-error';
import { EARLIEST_START_NS, type ResolvedOptions } from './limits';
import type { Span, SpanId, TraceId } from '../span/model';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;

export function checkTraceId(id: string, field: string): TraceId {
  if (!TRACE_ID.test(id)) throw new FieldError(field, `must be 32 hex characters, got ${quote(id)}`);
  if (ZEROS.test(id)) throw new FieldError(field, 'must not be all zero');
  return id as TraceId;
}

export function checkSpanId(id: string, field: string): SpanId {
  if (!SPAN_ID.test(id)) throw new FieldError(field, `must be 16 hex characters, got ${quote(id)}`);
  if (ZEROS.test(id)) throw new FieldError(field, 'must not be all zero');
  return id as SpanId;
}

/** A parent id: empty or all zero means "no parent" (both are seen from real clients). */
export function checkParentId(id: string | undefined, field: string): SpanId | undefined {
  if (id === undefined || id === '' || ZEROS.test(id)) return undefined;
  if (!SPAN_ID.test(id)) throw new FieldError(field, `must be empty or 16 hex characters, got ${quote(id)}`);
  return id as SpanId;
}

export function checkLength(s: string, max: number, field: string): string {
  if (s.length > max) throw new FieldError(field, `is ${s.length} characters long; the limit is ${max}`);
  return s;
}

export function checkCount(n: number, max: number, field: string): void {
  if (n > max) throw new FieldError(field, `has ${n} entries; the limit is ${max}`);
}

/**
 * A time between 2000-01-01 and the future bound. Ends and events are held to it as starts are: an
 * end of 2^64-1 ns makes a span centuries long, which stretches every trace view and duration
 * search it lands in.
 */
function checkTime(t: string, field: string, opts: ResolvedOptions): void {
  if (compareDecimal(t, EARLIEST) < 0) throw new FieldError(field, `${t} is before 2000-01-01: a clock or unit error (times are ns since the Unix epoch)`);
  if (compareDecimal(t, opts.latestStart) > 0) throw new FieldError(field, `${t} is more than ${opts.limits.maxFutureSeconds} s ahead of the server's clock`);
}

/** Times and self-reference: what no wire format can express wrongly without it being a broken span. */
export function checkSpan(span: Span, opts: ResolvedOptions): Span {
  const start = span.startTimeUnixNano;
  const end = span.endTimeUnixNano;
  checkTime(start, 'startTimeUnixNano', opts);
  if (compareDecimal(end, start) < 0) throw new FieldError('endTimeUnixNano', `${end} is before startTimeUnixNano ${start}`);
  checkTime(end, 'endTimeUnixNano', opts);
  const { events } = span;
  for (let i = 0; i < events.length; i++) checkTime(events[i]!.timeUnixNano, `events[${i}].timeUnixNano`, opts);
  if (span.parentSpanId === span.spanId) throw new FieldError('parentSpanId', 'equals spanId: a span cannot be its own parent');
  checkLength(span.name, opts.limits.maxNameLength, 'name');
  return span;
}

const EARLIEST = EARLIEST_START_NS.toString();

/** Compares two canonical non-negative decimal strings (no leading zeros) without BigInt. */
export function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function quote(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
