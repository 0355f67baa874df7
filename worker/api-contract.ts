/**
 * The JSON shapes the query API answers and the site reads, in one dependency-free module: the
 * worker builds them, the site (web/src/lib) imports the same types to validate what it receives.
 */

/** One trace in a search result: the `traces` row as `/api/search` sends it (times in µs). */
export interface TraceSummaryJson {
  traceId: string;
  startUs: number;
  durationUs: number;
  rootService: string;
  rootOperation: string;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  services: Record<string, number>;
  sampleRate: number;
  adjustedCount: number;
  version: number;
}

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
