/**
 * The one call the ingest route makes: `recordIngest(env, spans, ctx)` with every decoded span,
 * before sampling. It adds them to this isolate's metrics buffer (edge-buffer.ts) and, when the
 * request opened a flush window, hands the window to `ctx.waitUntil`. It never throws and never
 * delays the response: a metrics failure is logged, the ingest still succeeds.
 */
import type { Span } from '../span/model';
import { EdgeBuffer } from './edge-buffer';
import { shardName } from './shard';

/**
 * How long an isolate gathers spans before sending them: its Durable Object requests are at most
 * SHARD_COUNT per window, and a span reaches the shard (and the API) this long after arrival.
 */
export const EDGE_LINGER_MS = 2000;

interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

let buffer: EdgeBuffer | null = null;
/** bindings of the latest request; the same namespace in every request of an isolate */
let namespace: Env['SERVICE_METRICS'] | null = null;

function edgeBuffer(): EdgeBuffer {
  buffer ??= new EdgeBuffer({
    lingerMs: EDGE_LINGER_MS,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // a fresh stub for each try: a stub that saw its object reset stays broken
    send: async (shard, deltas, windowId) => {
      const ns = namespace!;
      await ns.get(ns.idFromName(shardName(shard))).add({ shard, deltas, windowId });
    },
    retryDelayMs: 250,
    onError: (shard, err) => console.error(`service metrics: shard ${shard} missed a window: ${String(err)}`),
  });
  return buffer;
}

/** Counts the spans in the RED metrics and the registry; the promise never rejects. */
export function recordIngest(env: Env, spans: readonly Span[], ctx?: WaitUntil): Promise<void> {
  try {
    namespace = env.SERVICE_METRICS;
    const sent = edgeBuffer().record(spans);
    ctx?.waitUntil(sent);
    return sent;
  } catch (err) {
    console.error(`service metrics: spans not counted: ${String(err)}`);
    return Promise.resolve();
  }
}
