/**
 * The edge's side of RED metrics: every decoded span (kept by sampling or not) is added to an
 * in-isolate buffer, and the buffer is sent to the ServiceMetrics shards once per linger window —
 * one request per shard touched, carrying every request's spans of that window. So a busy isolate
 * costs at most SHARD_COUNT Durable Object requests per window however many requests and spans it
 * serves, and nothing is written per request.
 *
 * Group commit, no background timer: the first request of a window opens it and the promise it
 * hands to `waitUntil` resolves once the window has been sent; the runtime keeps the isolate alive
 * for that promise, so a window is never left unsent in an idle isolate. Later requests of the
 * window only add to it and get a settled promise: a request never waits on a promise another
 * request's context resolves. A failed send is tried once more (a shard reset by a deploy, an
 * overloaded object), with the same window id so that the shard counts a window once even if the
 * first try was stored after all; a second failure is reported and the window dropped — metrics
 * must never fail or slow down ingest.
 */
import type { Span } from '../span/model';
import { RedAggregate, type MinuteDelta } from './red-aggregate';
import { shardOf } from './shard';

export interface EdgeBufferOptions {
  /** how long a window stays open after its first request, ms */
  lingerMs: number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** one request to a shard with its deltas (one per minute the window touched) and the window's id */
  send(shard: number, deltas: MinuteDelta[], windowId: string): Promise<void>;
  onError(shard: number, err: unknown): void;
  /** wait before the one retry of a failed send, ms (0: at once) */
  retryDelayMs?: number;
}

interface Window {
  shards: Map<number, RedAggregate>;
}

export class EdgeBuffer {
  private open: Window | null = null;

  constructor(private readonly options: EdgeBufferOptions) {}

  /**
   * Adds the spans. The request that opens a window gets the promise of its sending (it never
   * rejects); the others get a settled one, as the opener keeps the window alive.
   */
  record(spans: readonly Span[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    let w = this.open;
    let result: Promise<void> = Promise.resolve();
    if (w === null) {
      const shards = new Map<number, RedAggregate>();
      const sent = this.options.sleep(this.options.lingerMs).then(() => this.flush(shards));
      w = this.open = { shards };
      result = sent;
    }
    const now = this.options.now();
    for (const span of spans) {
      const shard = shardOf(span.service);
      let agg = w.shards.get(shard);
      if (!agg) w.shards.set(shard, (agg = new RedAggregate()));
      agg.addSpan(span, now);
    }
    return result;
  }

  private async flush(shards: Map<number, RedAggregate>): Promise<void> {
    if (this.open?.shards === shards) this.open = null;
    const windowId = crypto.randomUUID();
    await Promise.all(
      [...shards].map(async ([shard, agg]) => {
        const deltas = agg.toDeltas();
        try {
          await this.options.send(shard, deltas, windowId);
        } catch {
          try {
            if (this.options.retryDelayMs) await this.options.sleep(this.options.retryDelayMs);
            await this.options.send(shard, deltas, windowId);
          } catch (err) {
            this.options.onError(shard, err);
          }
        }
      }),
    );
  }
}
