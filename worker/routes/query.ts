/**
 * Query routes: the Jaeger HTTP JSON API (so the Jaeger UI and Grafana's Jaeger data source work
 * against edgetrace) plus native additions for the site. Thin: parse parameters, read D1/R2 (or the
 * trace's Durable Object while it is still assembling), encode.
 */
import { desc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { Hono } from 'hono';
import { traceKey } from '../../durable/trace-assembler';
import { decodeTrace } from '../../durable/trace-codec';
import { operations, traces } from '../db/schema';
import { ApiError } from '../http-error';
import { toJaegerTrace } from '../query/jaeger-encode';
import { encodeOtlpJson } from '../query/otlp-encode';
import type { AssembledTrace, TraceId } from '../span/model';

const TRACE_ID = /^[0-9a-f]{1,32}$/;

export function parseTraceId(raw: string): TraceId {
  const id = raw.trim().toLowerCase();
  if (!TRACE_ID.test(id) || /^0+$/.test(id)) throw new ApiError(400, `traceID ${JSON.stringify(raw)} must be 1 to 32 hex characters, not all zero`, 'traceID');
  return id.padStart(32, '0') as TraceId;
}

function envelope<T>(data: T, total: number) {
  return { data, total, limit: 0, offset: 0, errors: null };
}

/** The finished trace from R2, else the assembling one from its Durable Object (partial). */
export async function loadTrace(env: Env, traceId: TraceId): Promise<{ trace: AssembledTrace; partial: boolean } | null> {
  const object = await env.TRACES.get(traceKey(traceId));
  const stub = env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(traceId));
  if (object) {
    const stored = await decodeTrace(await object.arrayBuffer());
    return { trace: stored, partial: false };
  }
  const live = await stub.snapshot();
  return live ? { trace: live, partial: true } : null;
}

export const query = new Hono<{ Bindings: Env }>();

query.get('/api/services', async (c) => {
  const rows = await drizzle(c.env.DB).selectDistinct({ service: operations.service }).from(operations).orderBy(operations.service);
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

query.get('/api/traces/:traceId', async (c) => {
  const traceId = parseTraceId(c.req.param('traceId'));
  const found = await loadTrace(c.env, traceId);
  if (!found) throw new ApiError(404, `trace ${traceId} not found`, 'traceID');
  if (c.req.query('format') === 'otlp') return c.json(encodeOtlpJson(found.trace.spans));
  return c.json(envelope([toJaegerTrace(found.trace, { partial: found.partial })], 1));
});

query.get('/api/traces', async (c) => {
  const service = c.req.query('service');
  if (!service) throw new ApiError(400, 'parameter service is required', 'service');
  const limitRaw = c.req.query('limit') ?? '20';
  const limit = Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1500)
    throw new ApiError(400, `parameter limit must be a whole number from 1 to 1500, got ${JSON.stringify(limitRaw)}`, 'limit');
  const rows = await drizzle(c.env.DB)
    .select({ traceId: traces.traceId })
    .from(traces)
    .where(sql`EXISTS (SELECT 1 FROM json_each(${traces.services}) WHERE json_each.key = ${service})`)
    .orderBy(desc(traces.startUs))
    .limit(limit);
  const loaded = await Promise.all(rows.map((r) => loadTrace(c.env, r.traceId as TraceId)));
  const data = loaded.flatMap((t) => (t ? [toJaegerTrace(t.trace, { partial: t.partial })] : []));
  return c.json({ ...envelope(data, data.length), limit });
});
