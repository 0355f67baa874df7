/**
 * The OpenTelemetry entry (`ot=...`) of a W3C `tracestate`: the two sampling fields that consistent
 * probability sampling reads, `th` (the threshold an upstream sampler applied) and `rv` (explicit
 * randomness that replaces the traceId's low 56 bits), and the rewrite of `th` after we sample.
 *
 * The spec (OpenTelemetry "TraceState Handling"): one `ot` list member whose value is
 * `key:value` pairs separated by ';'; W3C list members are separated by ',' with optional
 * spaces or tabs around them. Malformed `th`/`rv` values are ignored (treated as absent), as the
 * spec tells samplers to do, rather than failing the span.
 */
import {
  formatThreshold,
  parseRandomness,
  parseThreshold,
  thresholdToProbability,
  type Threshold,
} from './consistent';

export interface OtTraceState {
  /** the upstream rejection threshold, when present and well-formed */
  th: Threshold | null;
  /** explicit randomness (14 hex digits), when present and well-formed */
  rv: string | null;
  /** the probability `th` stands for (1 when absent), computed once here rather than per span */
  thRate: number;
}

const EMPTY: OtTraceState = Object.freeze({ th: null, rv: null, thRate: 1 });

// Spans of one request usually share one tracestate string, so a one-entry memo saves re-parsing
// on the ingest hot path.
let lastInput: string | undefined;
let lastResult: OtTraceState = EMPTY;

/** The `ot` entry's value (without `ot=`), or null when the tracestate has none. */
export function otEntry(traceState: string): string | null {
  for (const member of traceState.split(',')) {
    const m = member.trim();
    if (m.startsWith('ot=')) return m.slice(3);
  }
  return null;
}

/** Reads `th` and `rv` from a tracestate. The result is shared: do not mutate it. */
export function parseOtTraceState(traceState: string | undefined): OtTraceState {
  if (traceState === undefined || traceState === '') return EMPTY;
  if (traceState === lastInput) return lastResult;
  let result = EMPTY;
  const ot = otEntry(traceState);
  if (ot !== null) {
    let th: Threshold | null = null;
    let rv: string | null = null;
    for (const pair of ot.split(';')) {
      const colon = pair.indexOf(':');
      if (colon < 0) continue;
      const key = pair.slice(0, colon);
      const value = pair.slice(colon + 1);
      if (key === 'th') th = parseThreshold(value);
      else if (key === 'rv') rv = parseRandomness(value);
    }
    if (th !== null || rv !== null) result = Object.freeze({ th, rv, thRate: th === null ? 1 : thresholdToProbability(th) });
  }
  lastInput = traceState;
  lastResult = result;
  return result;
}

/**
 * The tracestate with the `ot` entry's `th` set to `t` (other `ot` fields and other vendors'
 * members kept in order; the `ot` member moves to the front, as W3C asks of a modified member).
 * `null` removes `th`. For storing the threshold a kept span was finally sampled with.
 */
export function withThreshold(traceState: string | undefined, t: Threshold | null): string {
  const members = (traceState ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  const otIndex = members.findIndex((m) => m.startsWith('ot='));
  const otPairs = otIndex >= 0 ? (members[otIndex] as string).slice(3).split(';').filter((p) => p !== '') : [];
  const others = members.filter((_, i) => i !== otIndex);
  const kept = otPairs.filter((p) => !p.startsWith('th:'));
  const th = t === null ? null : formatThreshold(t);
  const pairs = th === null ? kept : [`th:${th}`, ...kept];
  return (pairs.length > 0 ? [`ot=${pairs.join(';')}`, ...others] : others).join(',');
}
