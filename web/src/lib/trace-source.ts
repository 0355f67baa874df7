/**
 * Where a trace page gets its trace: one opened from a file this session, else the API. Opened
 * files live in memory only (a 100k-span trace is far over what sessionStorage holds), so a reload
 * of such a page falls back to the API.
 */
import { fetchTrace } from './api-client';
import type { JaegerTrace } from './jaeger';
import { mark } from './perf-marks';
import { ok, type Result } from './result';
import { buildTraceView, type TraceView } from './trace-model';

const opened = new Map<string, JaegerTrace>();

export function rememberOpenedTrace(trace: JaegerTrace): void {
  opened.set(trace.traceID, trace);
}

export const isOpenedTrace = (id: string) => opened.has(id);

export interface LoadedTrace {
  raw: JaegerTrace;
  view: TraceView;
  source: 'file' | 'api';
}

export async function loadTrace(id: string, f: typeof fetch = fetch): Promise<Result<LoadedTrace>> {
  const local = opened.get(id);
  const r = local ? ok(local) : await fetchTrace(id, f);
  if (!r.ok) return r;
  const view = buildTraceView(r.value);
  mark('view-built');
  return ok({ raw: r.value, view, source: local ? 'file' : 'api' });
}
