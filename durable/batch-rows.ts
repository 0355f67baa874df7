/**
 * How a batch of spans becomes rows of the TraceAssembler's `batches` table. Durable Object SQLite
 * refuses a value (and a row) over 2 MB, while one ingest request may carry thousands of spans of
 * one trace: the batch is split into rows of at most `maxRowChars` characters of JSON. A UTF-16
 * code unit is at most 3 bytes of UTF-8, so the default keeps every row under 2 MB whatever the text.
 *
 * A single span larger than a row on its own (hundreds of huge attribute values) is held to the
 * assembly limits first (truncate.ts: it would be cut there anyway) and, if still too large, cut
 * harder; the cut is never silent: the span gets the attribute `edgetrace.storage_truncated`
 * saying what was done, and dropped entries are counted in its `dropped*Count` fields.
 */
import type { Span } from '../worker/span/model';
import { DEFAULT_SPAN_LIMITS, truncateSpan, type SpanLimits } from './truncate';

/** 500,000 UTF-16 code units ≤ 1.5 MB of UTF-8: under the 2 MB row limit with room for the span ids. */
export const MAX_ROW_CHARS = 500_000;

export interface BatchRow {
  /** the row's span ids, comma-separated (read back to rebuild the dedupe set) */
  spanIds: string;
  /** the row's spans as a JSON array */
  json: string;
}

/** Ever tighter limits for a span that does not fit a row even within the assembly limits. */
const FALLBACK_LIMITS: readonly SpanLimits[] = [
  DEFAULT_SPAN_LIMITS,
  { attributesPerSpan: 128, eventsPerSpan: 32, linksPerSpan: 32, attributesPerEvent: 32, attributesPerLink: 32, valueLength: 2_048 },
  { attributesPerSpan: 64, eventsPerSpan: 8, linksPerSpan: 8, attributesPerEvent: 8, attributesPerLink: 8, valueLength: 256 },
];

export const STORAGE_TRUNCATED_KEY = 'edgetrace.storage_truncated';

/** The span's JSON, cut to fit a row when it is larger than one. */
export function fitSpan(span: Span, maxRowChars = MAX_ROW_CHARS): string {
  const json = JSON.stringify(span);
  if (json.length <= maxRowChars) return json;
  for (const limits of FALLBACK_LIMITS) {
    const r = truncateSpan(span, limits);
    const note = `span of ${json.length} characters was larger than a storage row: values cut to ${limits.valueLength} characters, at most ${limits.attributesPerSpan} attributes, ${limits.eventsPerSpan} events and ${limits.linksPerSpan} links kept`;
    const cut: Span = { ...r.span, attributes: [...r.span.attributes, { key: STORAGE_TRUNCATED_KEY, value: { stringValue: note } }] };
    const out = JSON.stringify(cut);
    if (out.length <= maxRowChars) return out;
  }
  // Only a span whose names alone are huge gets here (names are limited to 1,024 characters at
  // ingest, so this is a guard): keep its identity and timing, drop the rest, and say so.
  const bare: Span = {
    ...span,
    attributes: [{ key: STORAGE_TRUNCATED_KEY, value: { stringValue: `span of ${json.length} characters was larger than a storage row: attributes, events and links dropped` } }],
    droppedAttributesCount: (span.droppedAttributesCount ?? 0) + span.attributes.length,
    events: [],
    droppedEventsCount: (span.droppedEventsCount ?? 0) + span.events.length,
    links: [],
    droppedLinksCount: (span.droppedLinksCount ?? 0) + span.links.length,
  };
  return JSON.stringify(bare);
}

/** Splits spans into rows of at most `maxRowChars` characters of JSON, in order. */
export function batchRows(spans: readonly Span[], maxRowChars = MAX_ROW_CHARS): BatchRow[] {
  const rows: BatchRow[] = [];
  let ids: string[] = [];
  let parts: string[] = [];
  let size = 2; // the brackets
  const close = () => {
    if (parts.length === 0) return;
    rows.push({ spanIds: ids.join(','), json: `[${parts.join(',')}]` });
    ids = [];
    parts = [];
    size = 2;
  };
  for (const span of spans) {
    const json = fitSpan(span, maxRowChars - 2);
    if (parts.length > 0 && size + 1 + json.length > maxRowChars) close();
    ids.push(span.spanId);
    parts.push(json);
    size += json.length + (parts.length > 1 ? 1 : 0);
  }
  close();
  return rows;
}
