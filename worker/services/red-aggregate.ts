/**
 * RED metrics before sampling: per minute and per (service, operation, span kind) the count, the
 * error count and a latency histogram of every span the edge receives, plus the instances seen.
 * One aggregate type serves the edge (spans in), the ServiceMetrics Durable Object (deltas in, rows
 * out) and the query API (rows and pending deltas in, series out), so they cannot disagree on what
 * a span counts for.
 *
 * Spans are counted in the minute the edge received them, not the minute their clock claims: a
 * minute is then complete soon after it ends (the edge flushes within seconds), and a service with
 * a skewed clock cannot write into the past or the future.
 */
import { spanKindName } from '../db/trace-index';
import { StatusCode, type Span } from '../span/model';
import { durationNanos } from '../span/nanos';
import { addToHistogram, decodeHistogram, encodeHistogram, mergeHistogram, type Histogram } from './histogram';
import { instanceOf, type InstanceIdentity } from './instance';

export const MINUTE_MS = 60_000;
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);

export interface GroupKey {
  service: string;
  operation: string;
  spanKind: string;
  /** minutes since the Unix epoch */
  minute: number;
}

export interface MetricGroup extends GroupKey {
  calls: number;
  errors: number;
  /** exact shortest and longest duration, ns (null when merged from rows that lack them) */
  minNs: number | null;
  maxNs: number | null;
  hist: Histogram;
}

/** A group as it travels over RPC and sits in storage: the histogram as its JSON text. */
export interface WireGroup extends Omit<MetricGroup, 'minute' | 'hist'> {
  hist: string;
}

export interface InstanceSeen extends InstanceIdentity {
  firstSeenMs: number;
  lastSeenMs: number;
}

/** One minute's deltas: what an edge sends a shard, and one row of the shard's pending table. */
export interface MinuteDelta {
  minute: number;
  groups: WireGroup[];
  instances: InstanceSeen[];
}

const groupKey = (g: GroupKey): string => `${g.minute}\u0000${g.service}\u0000${g.operation}\u0000${g.spanKind}`;
const instanceKey = (i: { service: string; id: string }): string => `${i.service}\u0000${i.id}`;

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

export class RedAggregate {
  readonly groups = new Map<string, MetricGroup>();
  readonly instances = new Map<string, InstanceSeen>();
  /** decoders share one resource object across a resource's spans: look each up once */
  private readonly identities = new WeakMap<object, InstanceIdentity>();

  addSpan(span: Span, nowMs: number): void {
    const minute = minuteOf(nowMs);
    const d = Number(durationNanos(span.startTimeUnixNano, span.endTimeUnixNano));
    const g = this.group({ service: span.service, operation: span.name, spanKind: spanKindName(span.kind), minute });
    g.calls++;
    if (span.status.code === StatusCode.ERROR) g.errors++;
    g.minNs = minOf(g.minNs, d);
    g.maxNs = maxOf(g.maxNs, d);
    addToHistogram(g.hist, d);
    let id = this.identities.get(span.resource);
    if (id === undefined || id.service !== span.service) {
      id = instanceOf(span.service, span.resource);
      this.identities.set(span.resource, id);
    }
    // a literal, not a spread: this runs for every span the edge receives, and Node 20's V8 takes a
    // slow path for the spread here (2.5× the aggregation's time per span)
    this.addInstance({ service: id.service, id: id.id, host: id.host, sdk: id.sdk, firstSeenMs: nowMs, lastSeenMs: nowMs });
  }

  addGroup(from: MetricGroup): void {
    const g = this.group(from);
    g.calls += from.calls;
    g.errors += from.errors;
    g.minNs = minOf(g.minNs, from.minNs);
    g.maxNs = maxOf(g.maxNs, from.maxNs);
    mergeHistogram(g.hist, from.hist);
  }

  addInstance(seen: InstanceSeen): void {
    const key = instanceKey(seen);
    const known = this.instances.get(key);
    if (!known) {
      this.instances.set(key, { ...seen });
      return;
    }
    if (seen.lastSeenMs >= known.lastSeenMs) {
      // the latest report wins for what may change across restarts (host, SDK version)
      if (seen.host) known.host = seen.host;
      if (seen.sdk) known.sdk = seen.sdk;
      known.lastSeenMs = seen.lastSeenMs;
    }
    known.firstSeenMs = Math.min(known.firstSeenMs, seen.firstSeenMs);
  }

  addDelta(delta: MinuteDelta): void {
    for (const w of delta.groups) this.addGroup({ ...w, minute: delta.minute, hist: decodeHistogram(w.hist) });
    for (const i of delta.instances) this.addInstance(i);
  }

  merge(other: RedAggregate): this {
    for (const g of other.groups.values()) this.addGroup(g);
    for (const i of other.instances.values()) this.addInstance(i);
    return this;
  }

  /** One delta per minute, minutes ascending; an instance goes with the minute it was last seen in. */
  toDeltas(): MinuteDelta[] {
    const byMinute = new Map<number, MinuteDelta>();
    const at = (minute: number): MinuteDelta => {
      let d = byMinute.get(minute);
      if (!d) byMinute.set(minute, (d = { minute, groups: [], instances: [] }));
      return d;
    };
    for (const { minute, hist, ...rest } of this.groups.values()) at(minute).groups.push({ ...rest, hist: encodeHistogram(hist) });
    for (const i of this.instances.values()) at(minuteOf(i.lastSeenMs)).instances.push({ ...i });
    return [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  }

  private group(key: GroupKey): MetricGroup {
    const k = groupKey(key);
    let g = this.groups.get(k);
    if (!g) {
      g = { service: key.service, operation: key.operation, spanKind: key.spanKind, minute: key.minute, calls: 0, errors: 0, minNs: null, maxNs: null, hist: new Map() };
      this.groups.set(k, g);
    }
    return g;
  }
}
