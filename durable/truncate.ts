/**
 * Assembly step: holds every span to the storage limits. A trace is stored and served whole, so one
 * span with 10,000 attributes or a 5 MB string would cost every reader; past the limits, entries are
 * dropped and counted in the span's `dropped*Count` (as the OTel SDKs do), and over-long values are
 * cut with a span warning saying how many — never silently.
 */
import type { AnyValue, KeyValue, Span, SpanEvent, SpanLink } from '../worker/span/model';

export interface SpanLimits {
  attributesPerSpan: number;
  eventsPerSpan: number;
  linksPerSpan: number;
  attributesPerEvent: number;
  attributesPerLink: number;
  /** characters of a string value, bytes of a bytes value (nested values included) */
  valueLength: number;
}

/** The OTel SDK defaults for counts (128); values are cut at 16 KiB, enough for a stack trace. */
export const DEFAULT_SPAN_LIMITS: SpanLimits = {
  attributesPerSpan: 128,
  eventsPerSpan: 128,
  linksPerSpan: 128,
  attributesPerEvent: 128,
  attributesPerLink: 128,
  valueLength: 16_384,
};

export interface TruncateResult {
  /** the span itself when it was within the limits, else a changed copy */
  span: Span;
  /** values cut to `valueLength` */
  truncatedValues: number;
  /** attributes, events and links dropped */
  droppedEntries: number;
}

/** Counts values over the limit and returns the cut value (same object when nothing was cut). */
function cutValue(v: AnyValue, max: number, counter: { n: number }): AnyValue {
  if ('stringValue' in v) {
    if (v.stringValue.length <= max) return v;
    counter.n++;
    // Do not split a surrogate pair: a lone half is not valid UTF-16 text.
    let end = max;
    const code = v.stringValue.charCodeAt(end - 1);
    if (end > 0 && code >= 0xd800 && code <= 0xdbff) end--;
    return { stringValue: v.stringValue.slice(0, end) };
  }
  if ('bytesValue' in v) {
    // base64: 4 characters carry 3 bytes, so cut on a 4-character boundary.
    const chars = Math.floor(max / 3) * 4;
    if (v.bytesValue.length <= chars) return v;
    counter.n++;
    return { bytesValue: v.bytesValue.slice(0, chars) };
  }
  if ('arrayValue' in v) {
    const values = v.arrayValue.values;
    let changed: AnyValue[] | null = null;
    for (let i = 0; i < values.length; i++) {
      const item = values[i]!;
      const cut = cutValue(item, max, counter);
      if (cut !== item) (changed ??= values.slice())[i] = cut;
    }
    return changed ? { arrayValue: { values: changed } } : v;
  }
  if ('kvlistValue' in v) {
    const cut = cutAttributes(v.kvlistValue.values, max, counter);
    return cut === v.kvlistValue.values ? v : { kvlistValue: { values: cut } };
  }
  return v;
}

function cutAttributes(attrs: KeyValue[], max: number, counter: { n: number }): KeyValue[] {
  let changed: KeyValue[] | null = null;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    const cut = cutValue(a.value, max, counter);
    if (cut !== a.value) (changed ??= attrs.slice())[i] = { key: a.key, value: cut };
  }
  return changed ?? attrs;
}

/** Keeps the first `max` attributes (cut in length); the rest are added to the dropped count. */
function limitAttributes(
  attrs: KeyValue[],
  dropped: number | undefined,
  maxCount: number,
  maxLength: number,
  counter: { n: number },
): { attributes: KeyValue[]; dropped: number | undefined; over: number } {
  const over = Math.max(0, attrs.length - maxCount);
  const kept = over > 0 ? attrs.slice(0, maxCount) : attrs;
  return { attributes: cutAttributes(kept, maxLength, counter), dropped: over > 0 ? (dropped ?? 0) + over : dropped, over };
}

export function truncateSpan(span: Span, limits: SpanLimits = DEFAULT_SPAN_LIMITS): TruncateResult {
  const counter = { n: 0 };
  let droppedEntries = 0;
  let out: Span = span;
  const copy = (): Span => (out === span ? (out = { ...span }) : out);

  const a = limitAttributes(span.attributes, span.droppedAttributesCount, limits.attributesPerSpan, limits.valueLength, counter);
  droppedEntries += a.over;
  if (a.attributes !== span.attributes) {
    copy().attributes = a.attributes;
    if (a.dropped !== undefined) out.droppedAttributesCount = a.dropped;
  }

  const eventsOver = Math.max(0, span.events.length - limits.eventsPerSpan);
  const events = eventsOver > 0 ? span.events.slice(0, limits.eventsPerSpan) : span.events;
  let newEvents: SpanEvent[] | null = eventsOver > 0 ? events : null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const r = limitAttributes(e.attributes, e.droppedAttributesCount, limits.attributesPerEvent, limits.valueLength, counter);
    droppedEntries += r.over;
    if (r.attributes === e.attributes) continue;
    const ne: SpanEvent = { ...e, attributes: r.attributes };
    if (r.dropped !== undefined) ne.droppedAttributesCount = r.dropped;
    (newEvents ??= events.slice())[i] = ne;
  }
  if (newEvents) copy().events = newEvents;
  if (eventsOver > 0) {
    out.droppedEventsCount = (span.droppedEventsCount ?? 0) + eventsOver;
    droppedEntries += eventsOver;
  }

  const linksOver = Math.max(0, span.links.length - limits.linksPerSpan);
  const links = linksOver > 0 ? span.links.slice(0, limits.linksPerSpan) : span.links;
  let newLinks: SpanLink[] | null = linksOver > 0 ? links : null;
  for (let i = 0; i < links.length; i++) {
    const l = links[i]!;
    const r = limitAttributes(l.attributes, l.droppedAttributesCount, limits.attributesPerLink, limits.valueLength, counter);
    droppedEntries += r.over;
    if (r.attributes === l.attributes) continue;
    const nl: SpanLink = { ...l, attributes: r.attributes };
    if (r.dropped !== undefined) nl.droppedAttributesCount = r.dropped;
    (newLinks ??= links.slice())[i] = nl;
  }
  if (newLinks) copy().links = newLinks;
  if (linksOver > 0) {
    out.droppedLinksCount = (span.droppedLinksCount ?? 0) + linksOver;
    droppedEntries += linksOver;
  }

  return { span: out, truncatedValues: counter.n, droppedEntries };
}
