/**
 * Assembly step 3: clock-skew adjustment, after the rule of Jaeger's clock-skew adjuster.
 *
 * Spans are grouped by host. Walking the tree from the roots, a child on another host than its
 * parent is compared with its (already adjusted) parent: if it does not fit inside the parent it is
 * moved so that the network latency splits evenly before and after it; if it lasted longer than the
 * parent (async work, or a parent that timed out) it is only moved so it does not start before the
 * parent. The shift is inherited by that child's descendants on its host, which share its clock.
 * A shift larger than `maxSkewNanos` is not applied (the span gets a warning instead): a clock that
 * far off more likely means a wrong parent than drift.
 *
 * Nothing is rewritten: the result is a shift per span (adjusted time = original + shift).
 */
import type { KeyValue, Span } from '../worker/span/model';
import type { SpanTree } from './tree';

/** Past this, a computed shift is skipped with a warning (0 disables adjustment). */
export const DEFAULT_MAX_SKEW_NANOS = 3_600_000_000_000n; // 1 hour

export interface SkewResult {
  /** shift in ns per span index, 0 when not moved */
  shift: Float64Array;
  /** host key per span index */
  hosts: string[];
  /** span warnings by span index (shift applied or skipped) */
  warnings: Map<number, string>;
  /** spans moved (at a host boundary, or inheriting the shift of a parent on the same host) */
  adjusted: number;
  /** spans whose computed shift was beyond the bound */
  skipped: Array<{ index: number; host: string; shiftNanos: number }>;
}

function attr(attrs: readonly KeyValue[], key: string): string | undefined {
  for (const a of attrs) {
    if (a.key !== key) continue;
    const v = a.value;
    if ('stringValue' in v) return v.stringValue;
    if ('intValue' in v) return v.intValue;
    if ('bytesValue' in v) return v.bytesValue;
    return JSON.stringify(v);
  }
  return undefined;
}

/**
 * Which clock a span was timed by: resource `host.id`, `host.ip` or `host.name`; without one,
 * `service.instance.id`; else the service name. Prefixed so two kinds of key never collide.
 */
export function hostKey(span: Span): string {
  const attrs = span.resource.attributes;
  for (const key of ['host.id', 'host.ip', 'host.name']) {
    const v = attr(attrs, key);
    if (v !== undefined && v !== '') return `host:${v}`;
  }
  const inst = attr(attrs, 'service.instance.id');
  if (inst !== undefined && inst !== '') return `instance:${inst}`;
  return `service:${span.service}`;
}

/** A host key without its prefix, for messages. */
export const hostLabel = (key: string): string => key.slice(key.indexOf(':') + 1);

/** "+1.5ms", "-2.25s", "-3h0m0s": short and signed, for warnings. */
export function formatShift(ns: number): string {
  const sign = ns < 0 ? '-' : '+';
  const a = Math.abs(ns);
  if (a < 1e3) return `${sign}${a}ns`;
  if (a < 1e6) return `${sign}${+(a / 1e3).toFixed(3)}µs`;
  if (a < 1e9) return `${sign}${+(a / 1e6).toFixed(3)}ms`;
  if (a < 3.6e12) return `${sign}${+(a / 1e9).toFixed(3)}s`;
  return `${sign}${+(a / 3.6e12).toFixed(3)}h`;
}

/** Jaeger's rule: how far the child must move to sit inside its adjusted parent (0 if it fits). */
export function skewFor(parentStart: number, parentEnd: number, childStart: number, childEnd: number): number {
  const parentDur = Math.max(0, parentEnd - parentStart);
  const childDur = Math.max(0, childEnd - childStart);
  if (childDur > parentDur) return childStart < parentStart ? parentStart - childStart : 0;
  if (childStart >= parentStart && childEnd <= parentEnd) return 0;
  const latency = Math.floor((parentDur - childDur) / 2);
  return parentStart + latency - childStart;
}

export function adjustClockSkew(tree: SpanTree, maxSkewNanos: bigint = DEFAULT_MAX_SKEW_NANOS): SkewResult {
  const { spans, start, end, parent, order } = tree;
  const n = spans.length;
  const max = Number(maxSkewNanos < 0n ? -maxSkewNanos : maxSkewNanos);
  const shift = new Float64Array(n);
  const hosts = new Array<string>(n);
  const warnings = new Map<number, string>();
  const skipped: SkewResult['skipped'] = [];
  let adjusted = 0;
  for (let i = 0; i < n; i++) hosts[i] = hostKey(spans[i]!);

  // `order` lists parents before children, so each parent's shift is final when a child is seen.
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const p = parent[i]!;
    if (p < 0) continue; // roots and orphans have nothing to be measured against
    if (hosts[i] === hosts[p]) {
      // Same clock as the parent: whatever the parent was moved by applies here too.
      const inherited = shift[p]!;
      if (inherited !== 0) {
        shift[i] = inherited;
        adjusted++;
        warnings.set(i, `timestamps adjusted by ${formatShift(inherited)} for clock skew of host "${hostLabel(hosts[i]!)}" (as its parent)`);
      }
      continue;
    }
    const ps = shift[p]!;
    const d = skewFor(start[p]! + ps, end[p]! + ps, start[i]!, end[i]!);
    if (d === 0) continue;
    const from = hostLabel(hosts[i]!);
    const to = hostLabel(hosts[p]!);
    if (Math.abs(d) > max) {
      skipped.push({ index: i, host: from, shiftNanos: d });
      warnings.set(
        i,
        max === 0
          ? `clock skew of ${formatShift(d)} against the parent's host "${to}" not adjusted: adjustment is disabled`
          : `clock skew of ${formatShift(d)} against the parent's host "${to}" exceeds the ${formatShift(max).slice(1)} bound: not adjusted`,
      );
      continue;
    }
    shift[i] = d;
    adjusted++;
    warnings.set(i, `timestamps adjusted by ${formatShift(d)} for clock skew of host "${from}" against the parent's host "${to}"`);
  }
  return { shift, hosts, warnings, adjusted, skipped };
}
