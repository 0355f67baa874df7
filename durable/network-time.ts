/**
 * Assembly step 4: time spent on the network. A CLIENT span with a SERVER child in another service
 * is one remote call seen from both ends; after skew adjustment, the gap before the server starts
 * is the request leg and the gap after it ends is the response leg. A CLIENT span that failed and
 * has no SERVER child never reached (or was never heard back from) the other side: flagged as a
 * likely network failure — unless it is a database call (`db.system.name`, or the older
 * `db.system`): databases are not instrumented, so their calls never have a SERVER child and fail
 * for reasons of their own.
 */
import { SpanKind, StatusCode, type Span } from '../worker/span/model';
import type { SpanTree } from './tree';

/** The span attributes this step reads (assembly's skeletons must keep them). */
export const NETWORK_TIME_ATTRIBUTES: ReadonlySet<string> = new Set(['db.system.name', 'db.system']);

const isDatabaseCall = (s: Span) => s.attributes.some((a) => NETWORK_TIME_ATTRIBUTES.has(a.key));

export interface NetworkLegs {
  /** server.start − client.start, adjusted, in ns */
  requestNanos: number;
  /** client.end − server.end, adjusted, in ns */
  responseNanos: number;
}

export interface NetworkResult {
  /** per SERVER span index */
  legs: Map<number, NetworkLegs>;
  /** CLIENT span indices that failed with no SERVER child */
  failures: number[];
}

/** `shift` is the clock-skew shift per span index in ns (adjusted time = original + shift). */
export function networkTime(tree: SpanTree, shift: Float64Array): NetworkResult {
  const { spans, start, end, parent, childStart, childList } = tree;
  const legs = new Map<number, NetworkLegs>();
  const failures: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.kind === SpanKind.SERVER) {
      const p = parent[i]!;
      if (p < 0) continue;
      const client = spans[p]!;
      if (client.kind !== SpanKind.CLIENT || client.service === s.service) continue;
      legs.set(i, {
        requestNanos: start[i]! + shift[i]! - (start[p]! + shift[p]!),
        responseNanos: end[p]! + shift[p]! - (end[i]! + shift[i]!),
      });
    } else if (s.kind === SpanKind.CLIENT && s.status.code === StatusCode.ERROR && !isDatabaseCall(s)) {
      let served = false;
      for (let c = childStart[i]!; c < childStart[i + 1]! && !served; c++) served = spans[childList[c]!]!.kind === SpanKind.SERVER;
      if (!served) failures.push(i);
    }
  }
  return { legs, failures };
}
