/**
 * Query routes: the Jaeger HTTP JSON API (so the Jaeger UI and Grafana's Jaeger data source work
 * against edgetrace) plus native additions for the site (`/api/search` summaries, tag keys and
 * values, OTLP/JSON export). Thin: parse parameters (worker/query/search-query.ts,
 * jaeger-params.ts), read D1 (worker/query/search.ts), R2 or the trace's Durable Object, and
 * stream the encoded answer (worker/query/search-response.ts).
 */
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { union } from 'drizzle-orm/sqlite-core';
import { Hono } from 'hono';
import { traceKey } from '../../durable/trace-assembler';
import { openTrace, traceHead } from '../../durable/trace-codec';
import { operations, searchTerms } from '../db/schema';
import { services as registeredServices } from '../db/services-schema';
import { ApiError } from '../http-error';
import { encodeCursor } from '../query/cursor';
import { jaegerTraceLines } from '../query/jaeger-encode';
import { parseSpanKind } from '../query/jaeger-params';
import { searchIndex } from '../query/search';
import { searchConfig } from '../query/search-config';
import { parseSearchQuery } from '../query/search-query';
import { inOrder, jaegerEnvelopeJson, otlpJson, type EnvelopeError, type StreamedTrace } from '../query/search-response';
import { tagValueOf, tagValueRange } from '../query/search-terms';
import type { TraceId } from '../span/model';

const TRACE_ID = /^[0-9a-f]{1,32}$/;
/** R2 reads in flight while a search result streams (a Worker has 6 connections at once). */
const R2_PREFETCH = 4;
/** Ids one `/api/traces?traceID=` request may ask for. */
const MAX_TRACE_IDS = 100;
/** Values `/api/tags/values` lists. */
const MAX_TAG_VALUES = 100;

export function parseTraceId(raw: string): TraceId {
  const id = raw.trim().toLowerCase();
  if (!TRACE_ID.test(id) || /^0+$/.test(id)) throw new ApiError(400, `traceID ${JSON.stringify(raw)} must be 1 to 32 hex characters, not all zero`, 'traceID');
  return id.padStart(32, '0') as TraceId;
}

function envelope<T>(data: T, total: number) {
  return { data, total, limit: 0, offset: 0, errors: null };
}

const nowUs = () => Date.now() * 1000;

/** The finished trace from R2, opened for streaming (only its compressed bytes are held). */
async function openStored(env: Env, traceId: TraceId): Promise<StreamedTrace | null> {
  const object = await env.TRACES.get(traceKey(traceId));
  if (!object) return null;
  const { head, chunks } = await openTrace(await object.arrayBuffer());
  return { head, chunks, partial: false };
}

/** The finished trace, else the one still assembling in its Durable Object (marked partial). */
async function openAny(env: Env, traceId: TraceId): Promise<StreamedTrace | null> {
  const stored = await openStored(env, traceId);
  if (stored) return stored;
  const live = await env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(traceId)).snapshot();
  return live ? { head: traceHead(live), chunks: [live.spans], partial: true } : null;
}

/** A JSON response written as its pieces are produced. */
function streamJson(parts: AsyncIterable<string>, status = 200, contentType = 'application/json; charset=utf-8'): Response {
  const it = parts[Symbol.asyncIterator]();
  const utf8 = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) controller.close();
        else controller.enqueue(utf8.encode(next.value));
      } catch (err) {
        // The status line is gone already: cut the body, so the client sees broken JSON, not a lie.
        console.error(`query response failed mid-stream: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.(undefined);
    },
  });
  return new Response(body, { status, headers: { 'content-type': contentType } });
}

async function* single<T>(value: T): AsyncGenerator<T> {
  yield value;
}

export const query = new Hono<{ Bindings: Env }>();

// The trace index only knows services of kept traces; the registry knows every service the edge
// heard from (sampled or not), so a low-traffic service can still be picked in Jaeger's Monitor tab.
query.get('/api/services', async (c) => {
  const db = drizzle(c.env.DB);
  const indexed = db.select({ service: operations.service }).from(operations);
  const registered = db.select({ service: registeredServices.name }).from(registeredServices);
  // UNION drops the duplicates; the order is by the result column
  const rows = await union(indexed, registered).orderBy(asc(operations.service));
  const data = rows.map((r) => r.service);
  return c.json(envelope(data, data.length));
});

query.get('/api/services/:service/operations', async (c) => {
  const rows = await drizzle(c.env.DB)
    .selectDistinct({ operation: operations.operation })
    .from(operations)
    .where(eq(operations.service, c.req.param('service')))
    .orderBy(operations.operation);
  const data = rows.map((r) => r.operation);
  return c.json(envelope(data, data.length));
});

query.get('/api/operations', async (c) => {
  const service = c.req.query('service');
  if (!service) throw new ApiError(400, 'parameter service: is required', 'service');
  const kindRaw = c.req.query('spanKind');
  const kind = kindRaw ? parseSpanKind(kindRaw) : undefined;
  const rows = await drizzle(c.env.DB)
    .select({ name: operations.operation, spanKind: operations.spanKind })
    .from(operations)
    .where(kind === undefined ? eq(operations.service, service) : and(eq(operations.service, service), eq(operations.spanKind, kind)))
    .orderBy(operations.operation, operations.spanKind);
  // Jaeger names an unspecified kind with the empty string.
  const data = rows.map((r) => ({ name: r.name, spanKind: r.spanKind === 'unspecified' ? '' : r.spanKind }));
  return c.json(envelope(data, data.length));
});

query.get('/api/traces/:traceId', async (c) => {
  const traceId = parseTraceId(c.req.param('traceId'));
  const format = c.req.query('format');
  if (format !== undefined && format !== 'otlp' && format !== 'jaeger' && format !== 'jaeger-lines')
    throw new ApiError(400, `parameter format: must be otlp, jaeger or jaeger-lines, got ${JSON.stringify(format)}`, 'format');
  const found = await openAny(c.env, traceId);
  if (!found) throw new ApiError(404, `trace ${traceId} not found`, 'traceID');
  if (format === 'otlp') return streamJson(otlpJson(found.chunks));
  // The site's format: the Jaeger trace as lines it can parse while the rest downloads. Sent as
  // text/plain, a type Cloudflare compresses on the way out (application/x-ndjson is not one: a
  // 100,000-span trace would cross the network as 88 MB instead of about 5).
  if (format === 'jaeger-lines') return streamJson(jaegerTraceLines(found.head, found.chunks, { partial: found.partial }), 200, 'text/plain; charset=utf-8');
  return streamJson(jaegerEnvelopeJson(single(found), { limit: 0 }));
});

query.get('/api/traces', async (c) => {
  const params = new URL(c.req.url).searchParams;
  const ids = params.getAll('traceID').filter((s) => s !== '');
  if (ids.length > 0) {
    if (ids.length > MAX_TRACE_IDS) throw new ApiError(400, `parameter traceID: at most ${MAX_TRACE_IDS} ids per request`, 'traceID');
    const wanted = [...new Set(ids.map(parseTraceId))];
    const errors: EnvelopeError[] = [];
    const traces = inOrder(wanted, R2_PREFETCH, async (id) => {
      const t = await openAny(c.env, id);
      if (!t) errors.push({ code: 404, msg: `trace ${id} not found` });
      return t;
    });
    return streamJson(jaegerEnvelopeJson(traces, { limit: 0, errors: () => errors }));
  }
  const q = parseSearchQuery(params, { nowUs: nowUs(), defaultLimit: 100, indexedTagKeys: searchConfig(c.env).indexedTagKeys, native: false });
  if (q.service === undefined) throw new ApiError(400, 'parameter service: is required', 'service');
  const { traces } = await searchIndex(drizzle(c.env.DB), q);
  const opened = inOrder(
    traces.map((t) => t.traceId as TraceId),
    R2_PREFETCH,
    (id) => openStored(c.env, id),
  );
  return streamJson(jaegerEnvelopeJson(opened, { limit: q.limit }));
});

query.get('/api/search', async (c) => {
  const q = parseSearchQuery(new URL(c.req.url).searchParams, {
    nowUs: nowUs(),
    defaultLimit: 20,
    indexedTagKeys: searchConfig(c.env).indexedTagKeys,
    native: true,
  });
  const result = await searchIndex(drizzle(c.env.DB), q);
  return c.json({
    data: result.traces,
    total: result.traces.length,
    limit: q.limit,
    offset: 0,
    errors: null,
    ...(result.next ? { nextCursor: encodeCursor(result.next) } : {}),
  });
});

query.get('/api/tags/keys', (c) => {
  const data = searchConfig(c.env).indexedTagKeys;
  return c.json(envelope(data, data.length));
});

query.get('/api/tags/values', async (c) => {
  const key = c.req.query('key');
  if (!key) throw new ApiError(400, 'parameter key: is required', 'key');
  const keys = searchConfig(c.env).indexedTagKeys;
  if (!keys.includes(key)) throw new ApiError(400, `parameter key: ${JSON.stringify(key)} is not an indexed key; indexed keys are ${keys.join(', ')}`, 'key');
  const { from, to } = tagValueRange(key);
  const rows = await drizzle(c.env.DB)
    .select({ term: searchTerms.term })
    .from(searchTerms)
    .where(and(gte(searchTerms.term, from), lt(searchTerms.term, to)))
    .orderBy(asc(searchTerms.term))
    .limit(MAX_TAG_VALUES);
  const data = rows.flatMap((r) => tagValueOf(r.term, key) ?? []);
  return c.json(envelope(data, data.length));
});
