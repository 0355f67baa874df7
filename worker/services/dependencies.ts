/**
 * Service-map edges of one assembled trace: caller → callee for every parent/child pair of spans
 * in different services, and for every CLIENT or PRODUCER span that names an uninstrumented callee
 * in `peer.service` and has no child there. Spans arrive in any order and a trace can hold 100,000
 * of them, so the accumulator keeps a few scalars per span and links parents to children at the end.
 *
 * A call failed when the callee's span has status ERROR, or the caller's CLIENT/PRODUCER span does
 * (the request never got an answer). Its latency is what the caller waited (the CLIENT/PRODUCER
 * span's duration) when there is one, else the callee's own duration.
 */
import { SpanKind, StatusCode, type Span } from '../span/model';
import { durationNanos } from '../span/nanos';
import { addToHistogram, type Histogram } from './histogram';

export interface EdgeStats {
  parent: string;
  child: string;
  calls: number;
  errors: number;
  hist: Histogram;
}

const isCaller = (kind: number): boolean => kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;

function peerService(span: Span): string | undefined {
  for (const kv of span.attributes) if (kv.key === 'peer.service' && 'stringValue' in kv.value) return kv.value.stringValue.trim() || undefined;
  return undefined;
}

export const edgeKey = (parent: string, child: string): string => `${parent}\u0000${child}`;

export class DependencyAccumulator {
  private readonly index = new Map<string, number>();
  private readonly serviceIds = new Map<string, number>();
  private readonly serviceNames: string[] = [];
  private readonly parentIds: (string | undefined)[] = [];
  private readonly service: number[] = [];
  private readonly kind: number[] = [];
  private readonly failed: boolean[] = [];
  private readonly durationNs: number[] = [];
  /** span index → peer.service, for CLIENT/PRODUCER spans that name one */
  private readonly peers = new Map<number, string>();

  add(span: Span): void {
    if (this.index.has(span.spanId)) return;
    const i = this.parentIds.length;
    this.index.set(span.spanId, i);
    let s = this.serviceIds.get(span.service);
    if (s === undefined) {
      s = this.serviceNames.push(span.service) - 1;
      this.serviceIds.set(span.service, s);
    }
    this.parentIds.push(span.parentSpanId);
    this.service.push(s);
    this.kind.push(span.kind);
    this.failed.push(span.status.code === StatusCode.ERROR);
    this.durationNs.push(Number(durationNanos(span.startTimeUnixNano, span.endTimeUnixNano)));
    if (isCaller(span.kind)) {
      const peer = peerService(span);
      if (peer !== undefined && peer !== span.service) this.peers.set(i, peer);
    }
  }

  /** The trace's edges, each call counted once (unweighted). */
  edges(): Map<string, EdgeStats> {
    const out = new Map<string, EdgeStats>();
    const record = (parent: string, child: string, failed: boolean, durationNs: number): void => {
      const key = edgeKey(parent, child);
      let e = out.get(key);
      if (!e) out.set(key, (e = { parent, child, calls: 0, errors: 0, hist: new Map() }));
      e.calls++;
      if (failed) e.errors++;
      addToHistogram(e.hist, durationNs);
    };
    const answered = new Set<number>();
    for (let c = 0; c < this.parentIds.length; c++) {
      const pid = this.parentIds[c];
      const p = pid === undefined ? undefined : this.index.get(pid);
      if (p === undefined) continue;
      const childKind = this.kind[c]!;
      if (this.service[p] === this.service[c]) {
        if (childKind === SpanKind.SERVER || childKind === SpanKind.CONSUMER) answered.add(p);
        continue;
      }
      answered.add(p);
      const viaCaller = isCaller(this.kind[p]!);
      record(
        this.serviceNames[this.service[p]!]!,
        this.serviceNames[this.service[c]!]!,
        this.failed[c]! || (viaCaller && this.failed[p]!),
        viaCaller ? this.durationNs[p]! : this.durationNs[c]!,
      );
    }
    for (const [i, peer] of this.peers) {
      if (answered.has(i)) continue;
      record(this.serviceNames[this.service[i]!]!, peer, this.failed[i]!, this.durationNs[i]!);
    }
    return out;
  }
}

/** Service-map rows are per 5-minute bucket: fine enough for a map over the last few minutes. */
export const EDGE_BUCKET_MS = 300_000;

export const edgeBucketOf = (ms: number): number => Math.floor(ms / EDGE_BUCKET_MS) * EDGE_BUCKET_MS;

/** What a trace adds to one dependency_edges row: counts already weighted by its adjusted count. */
export interface EdgeContribution {
  bucketMs: number;
  parent: string;
  child: string;
  calls: number;
  errors: number;
  hist: Histogram;
}

export function contributions(edges: Map<string, EdgeStats>, bucketMs: number, weight: number): EdgeContribution[] {
  return [...edges.values()].map((e) => ({
    bucketMs,
    parent: e.parent,
    child: e.child,
    calls: e.calls * weight,
    errors: e.errors * weight,
    hist: new Map([...e.hist].map(([b, c]) => [b, c * weight])),
  }));
}

/**
 * current − previous, per row: what a re-flushed trace must add so that the table holds its
 * current edges once (late spans add calls; a moved start moves them to another bucket).
 */
export function contributionDiff(current: readonly EdgeContribution[], previous: readonly EdgeContribution[]): EdgeContribution[] {
  const out = new Map<string, EdgeContribution>();
  const apply = (c: EdgeContribution, sign: 1 | -1): void => {
    const key = `${c.bucketMs}\u0000${edgeKey(c.parent, c.child)}`;
    let d = out.get(key);
    if (!d) out.set(key, (d = { bucketMs: c.bucketMs, parent: c.parent, child: c.child, calls: 0, errors: 0, hist: new Map() }));
    d.calls += sign * c.calls;
    d.errors += sign * c.errors;
    for (const [b, n] of c.hist) d.hist.set(b, (d.hist.get(b) ?? 0) + sign * n);
  };
  for (const c of current) apply(c, 1);
  for (const c of previous) apply(c, -1);
  const isZero = (n: number): boolean => Math.abs(n) < 1e-9;
  for (const [key, d] of out) {
    for (const [b, n] of d.hist) if (isZero(n)) d.hist.delete(b);
    if (isZero(d.calls) && isZero(d.errors) && d.hist.size === 0) out.delete(key);
  }
  return [...out.values()];
}
