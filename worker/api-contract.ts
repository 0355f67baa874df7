/**
 * The JSON shapes the query API answers and the site reads, in one types-only module: the
 * worker builds them, the site (web/src/lib) imports the same types to validate what it receives.
 */
import type { TraceSummary } from './span/model';

/**
 * One trace in a search result: the index row (the assembled trace's summary) as `/api/search`
 * sends it, with times in µs.
 */
export type TraceSummaryJson = Omit<TraceSummary, 'traceId' | 'startTimeUnixNano' | 'durationNanos' | 'samplingReason'> & {
  traceId: string;
  startUs: number;
  durationUs: number;
};

/** An instance that sent nothing for INSTANCE_TTL_SECONDS is gone. */
export type InstanceStatus = 'live' | 'gone';

/** `/api/registry`: one instance of a service (times in ms since the epoch). */
export interface RegistryInstance {
  id: string;
  host: string;
  sdk: string;
  status: InstanceStatus;
  firstSeen: number;
  lastSeen: number;
}

/** `/api/registry`: one service with its instances (times in ms since the epoch). */
export interface RegistryService {
  service: string;
  firstSeen: number;
  lastSeen: number;
  instances: RegistryInstance[];
}

/** `/api/metrics/summary`: one operation and span kind of a service over the lookback. */
export interface OperationSummary {
  operation: string;
  spanKind: string;
  calls: number;
  errors: number;
  /** latency percentiles in ms (null: no latency recorded) */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}
