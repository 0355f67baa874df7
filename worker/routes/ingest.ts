/**
 * Ingest routes: OTLP/HTTP (`POST /v1/traces`, protobuf or JSON, gzip ok) and Zipkin v2
 * (`POST /api/v2/spans`). A thin shell: read the body within limits, decode (pure), sample (pure),
 * group by trace (pure), then one Durable Object call per trace. The response is sent only after
 * every Durable Object has durably stored its spans; when one fails the client is told to retry
 * (503 + Retry-After) and the retry is free for the spans already stored (dedupe by spanId).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { readConfig, samplingConfig, tailPolicies } from '../config';
import { mapSettled } from '../concurrency';
import { ingestKeyOf } from '../auth/middleware';
import { scopeSpans } from '../auth/scope';
import { ApiError } from '../http-error';
import { DecodeError } from '../ingest/decode-error';
import { groupByTrace } from '../ingest/group';
import { encodeExportResponse, encodeStatus } from '../ingest/otlp-response';
import { decodeOtlpJson } from '../ingest/otlp-json';
import { decodeOtlpProtobuf } from '../ingest/otlp-protobuf';
import { parseJsonBody, readBody } from '../ingest/read-body';
import { decodeZipkin } from '../ingest/zipkin';
import { decideBatch } from '../sampling/decide';
import { recordIngest } from '../services/record-ingest';

import type { DecodeResult, SpanRejection } from '../span/model';

/** Spans of services the ingest key is not scoped to are refused, each with its reason. */
function withinKeyScope(c: Context, decoded: DecodeResult): DecodeResult {
  const scoped = scopeSpans(decoded.spans, ingestKeyOf(c));
  if (scoped.rejected.length === 0) return decoded;
  return { ...decoded, spans: scoped.spans, rejected: [...decoded.rejected, ...scoped.rejected] };
}

type Format = 'protobuf' | 'json';

const RETRY_AFTER_SECONDS = '5';

function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** "resourceSpans[0]...traceId: must be ...; ... (and 12 more)" — the first few, never unbounded. */
export function rejectionMessage(rejected: readonly SpanRejection[], max = 10): string {
  const shown = rejected.slice(0, max).map((r) => `${r.path}: ${r.message}`);
  if (rejected.length > max) shown.push(`(and ${rejected.length - max} more)`);
  return shown.join('; ');
}

export interface StoreOutcome {
  accepted: number;
  sampledOut: number;
  failedTraces: number;
}

/** Samples, groups and stores decoded spans; shared by both wire formats. */
export async function storeSpans(env: Env, decoded: DecodeResult): Promise<StoreOutcome> {
  const vars = env as unknown as Record<string, unknown>;
  const config = readConfig(vars);
  const sampling = samplingConfig(vars);
  // The policies are applied when a trace is written, long after this request: a mistake in them
  // fails here, at once and naming the var, rather than in every trace's Durable Object.
  if (sampling.tailPresampleRate !== undefined) tailPolicies(vars);
  const decisions = decideBatch(decoded.spans, sampling);
  const { groups, droppedSpans } = groupByTrace(decoded.spans, (id) => decisions.get(id) ?? { forward: false, rate: 0 });
  const results = await mapSettled(groups, config.fanoutConcurrency, (g) =>
    env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(g.traceId)).addSpans({
      traceId: g.traceId,
      spans: g.spans,
      sampleRate: g.sampleRate,
    }),
  );
  let failedTraces = 0;
  for (const [i, r] of results.entries()) {
    if (r.status === 'rejected') {
      failedTraces++;
      console.error(`trace ${groups[i]!.traceId}: storing spans failed: ${String(r.reason)}`);
    }
  }
  return { accepted: decoded.spans.length - droppedSpans, sampledOut: droppedSpans, failedTraces };
}

function otlpReply(c: Context, status: 200 | 400 | 413 | 415 | 503, format: Format, body: Uint8Array | string) {
  const type = format === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  const headers: Record<string, string> = { 'content-type': type };
  if (status === 503) headers['retry-after'] = RETRY_AFTER_SECONDS;
  return c.body(body as never, status, headers);
}

export const ingest = new Hono<{ Bindings: Env }>();

ingest.post('/v1/traces', async (c) => {
  const type = mediaType(c);
  const format: Format | null =
    type === 'application/x-protobuf' || type === 'application/protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : null;
  if (!format)
    throw new ApiError(415, `Content-Type ${type || '(none)'} is not supported: use application/x-protobuf or application/json`, 'content-type');
  let decoded: DecodeResult;
  try {
    const body = await readBody(c.req.raw);
    // JSON is checked for depth and size before it is parsed (read-body.ts): parsing is where a
    // small hostile body becomes hundreds of MB
    decoded = format === 'protobuf' ? decodeOtlpProtobuf(body) : decodeOtlpJson(parseJsonBody(body));
  } catch (err) {
    if (err instanceof DecodeError) return otlpReply(c, err.status, format, encodeStatus(3, err.message, format));
    if (err instanceof ApiError) return otlpReply(c, err.status as 413 | 415 | 400, format, encodeStatus(3, err.message, format));
    throw err;
  }
  decoded = withinKeyScope(c, decoded);
  const message = [rejectionMessage(decoded.rejected), ...(decoded.warnings ?? [])].filter(Boolean).join('; ');
  // Every span refused: the request failed for good (the OTLP/HTTP spec's 400); retrying it is useless.
  if (decoded.spans.length === 0 && decoded.rejected.length > 0) return otlpReply(c, 400, format, encodeStatus(3, message, format));
  const outcome = await storeSpans(c.env, decoded);
  if (outcome.failedTraces > 0)
    return otlpReply(
      c,
      503,
      format,
      encodeStatus(14, `${outcome.failedTraces} trace(s) could not be stored now; retry the request`, format),
    );
  // RED metrics count every span, kept by sampling or not, once: after a 503 the exporter sends
  // the whole request again (never fails the request)
  recordIngest(c.env, decoded.spans, c.executionCtx);
  return otlpReply(c, 200, format, encodeExportResponse(decoded.rejected.length, message, format));
});

ingest.post('/api/v2/spans', async (c) => {
  const type = mediaType(c);
  if (type !== 'application/json' && type !== '')
    throw new ApiError(415, `Content-Type ${type} is not supported: Zipkin v2 takes application/json`, 'content-type');
  const json = parseJsonBody(await readBody(c.req.raw));
  let decoded: DecodeResult;
  try {
    decoded = decodeZipkin(json);
  } catch (err) {
    if (err instanceof DecodeError) throw new ApiError(err.status, err.message, err.path);
    throw err;
  }
  decoded = withinKeyScope(c, decoded);
  const outcome = await storeSpans(c.env, decoded);
  if (outcome.failedTraces > 0)
    throw new ApiError(503, `${outcome.failedTraces} trace(s) could not be stored now; retry the request`, undefined, {
      'retry-after': RETRY_AFTER_SECONDS,
    });
  // counted once, after the spans are stored (a 503 is retried whole)
  recordIngest(c.env, decoded.spans, c.executionCtx);
  if (decoded.rejected.length === 0 && !decoded.warnings) return c.body(null, 202);
  // Zipkin has no partial-success shape: the valid spans are kept (202) and the body says what was
  // not; when every span was refused the request failed (400), with the same body.
  return c.json(
    {
      accepted: decoded.spans.length,
      rejected: decoded.rejected.length,
      errors: decoded.rejected.map((r) => `${r.path}: ${r.message}`),
      warnings: decoded.warnings ?? [],
    },
    decoded.spans.length === 0 && decoded.rejected.length > 0 ? 400 : 202,
  );
});
