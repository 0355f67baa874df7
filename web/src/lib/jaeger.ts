/**
 * The shapes the query API sends (Jaeger's HTTP JSON, plus edgetrace's `edgetrace` annotations and
 * native search summaries). Times are microseconds, as Jaeger has them.
 */

export type TagValue = string | number | boolean;

export interface JaegerTag {
  key: string;
  type?: string;
  value: TagValue;
}

export interface JaegerLog {
  timestamp: number;
  fields: JaegerTag[];
}

export interface JaegerReference {
  refType: string;
  traceID: string;
  spanID: string;
}

/** What assembly learned about the span (skew shift, network time, orphan, late). */
export interface EdgeAnnotations {
  skewUs?: number;
  network?: { requestUs: number; responseUs: number };
  networkFailure?: boolean;
  orphan?: boolean;
  late?: boolean;
  originalStartTime?: number;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  flags?: number;
  /** µs since the epoch, skew-adjusted */
  startTime: number;
  /** µs */
  duration: number;
  tags: JaegerTag[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
  edgetrace?: EdgeAnnotations;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerTag[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings?: string[] | null;
  partial?: boolean;
  version?: number;
  /** how edgetrace kept the trace (absent from other Jaeger servers) */
  sampling?: JaegerSampling;
}

export interface JaegerSampling {
  rate: number;
  adjustedCount: number;
  reason: string | null;
}

/** One row of `/api/search`. */
export type { TraceSummaryJson as TraceSummary } from '../../../worker/api-contract';
import type { TraceSummaryJson as TraceSummary } from '../../../worker/api-contract';

export interface SearchPage {
  traces: TraceSummary[];
  nextCursor?: string;
}

export interface OperationInfo {
  name: string;
  spanKind: string;
}
