/**
 * Opening a trace from a JSON file: Jaeger's download (`{data:[trace]}`), a bare Jaeger trace, or
 * OTLP/JSON (`{resourceSpans}`). And the bodies the site offers for download.
 */
import { trace as validateTrace } from './api-validate';
import type { JaegerTrace } from './jaeger';
import { jaegerToOtlp, otlpToJaeger, type OtlpTraces } from './otlp-convert';
import { mark } from './perf-marks';
import { fail, ok, type Result } from './result';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validated(t: JaegerTrace): Result<JaegerTrace> {
  mark('validated');
  return ok(t);
}

export function parseTraceFile(text: string): Result<JaegerTrace> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return fail('', `not JSON: ${(e as Error).message}`);
  }
  mark('json-parsed');
  if (!isObj(body)) return fail('', 'must be a JSON object');
  try {
    if (Array.isArray(body.resourceSpans)) {
      // Convert first, then validate the result like any Jaeger trace.
      const traces = otlpToJaeger(body as unknown as OtlpTraces);
      if (traces.length === 0) return fail('resourceSpans', 'holds no spans');
      return validated(validateTrace(traces[0], 'resourceSpans'));
    }
    if (Array.isArray(body.data)) {
      if (body.data.length === 0) return fail('data', 'holds no trace');
      return validated(validateTrace(body.data[0], 'data[0]'));
    }
    if (Array.isArray(body.spans)) return validated(validateTrace(body, ''));
  } catch (e) {
    const err = e as { path?: string; message: string };
    if (typeof err.path === 'string') return fail(err.path, err.message);
    return fail('', `not a trace: ${err.message}`);
  }
  return fail('', 'expected Jaeger JSON ({"data":[trace]}) or OTLP JSON ({"resourceSpans":[...]})');
}

export type DownloadFormat = 'jaeger' | 'otlp';

/** The file body for a download: Jaeger in the API's own envelope, so the file reopens as-is. */
export function traceDownload(trace: JaegerTrace, format: DownloadFormat): string {
  const body = format === 'otlp' ? jaegerToOtlp(trace) : { data: [trace], total: 0, limit: 0, offset: 0, errors: null };
  return JSON.stringify(body);
}
