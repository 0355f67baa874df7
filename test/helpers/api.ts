/**
 * Small client for workerd integration tests: post through the real Worker (SELF) and poll the
 * query API until a trace is assembled. Shared by every test file under test/.
 */
import { SELF } from 'cloudflare:test';

export interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
  startTime: number;
  duration: number;
  warnings: string[] | null;
  edgetrace?: Record<string, unknown>;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
  warnings?: string[];
  partial?: boolean;
  version?: number;
  sampling?: { rate: number; adjustedCount: number; reason: string | null };
}

export const BASE = 'http://edgetrace.test';

export function postOtlp(body: Uint8Array | string, init: { type?: string; headers?: Record<string, string> } = {}) {
  const type = init.type ?? (typeof body === 'string' ? 'application/json' : 'application/x-protobuf');
  return SELF.fetch(`${BASE}/v1/traces`, { method: 'POST', headers: { 'content-type': type, ...init.headers }, body: body as BodyInit });
}

export async function gzip(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function getTrace(traceId: string): Promise<{ status: number; trace?: JaegerTrace; body: unknown }> {
  const res = await SELF.fetch(`${BASE}/api/traces/${traceId}`);
  const body = (await res.json()) as { data: JaegerTrace[] | null };
  return { status: res.status, trace: body.data?.[0], body };
}

/** Polls until the trace is written (not partial) with `spanCount` spans and at least `version`. */
export async function waitForTrace(traceId: string, spanCount: number, version = 1, timeoutMs = 15_000): Promise<JaegerTrace> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const { status, trace, body } = await getTrace(traceId);
    last = { status, spans: trace?.spans.length, partial: trace?.partial, version: trace?.version, body: status === 200 ? undefined : body };
    if (trace && !trace.partial && trace.spans.length === spanCount && (trace.version ?? 0) >= version) return trace;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} not assembled with ${spanCount} spans (v${version}): ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const tagOf = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;
