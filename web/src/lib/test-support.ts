/** Small hand-made traces for the view-logic unit tests (not used by the site itself). */
import type { JaegerSpan, JaegerTrace } from './jaeger';

export interface MiniSpan {
  id: string;
  parent?: string;
  service?: string;
  op?: string;
  start: number;
  dur: number;
  error?: boolean;
  tags?: Record<string, string | number | boolean>;
}

/** Span ids are padded to 16 hex characters; `start` and `dur` are µs from 1_000_000. */
export function miniTrace(spans: MiniSpan[], traceID = 'a'.repeat(32)): JaegerTrace {
  const services = [...new Set(spans.map((s) => s.service ?? 'svc'))];
  const processes = Object.fromEntries(services.map((s, i) => [`p${i}`, { serviceName: s, tags: [] }]));
  const id = (s: string) => s.padStart(16, '0');
  return {
    traceID,
    processes,
    spans: spans.map(
      (s): JaegerSpan => ({
        traceID,
        spanID: id(s.id),
        operationName: s.op ?? `op-${s.id}`,
        references: s.parent ? [{ refType: 'CHILD_OF', traceID, spanID: id(s.parent) }] : [],
        startTime: 1_000_000 + s.start,
        duration: s.dur,
        tags: [
          ...(s.error ? [{ key: 'error', type: 'bool', value: true }] : []),
          ...Object.entries(s.tags ?? {}).map(([key, value]) => ({ key, value })),
        ],
        logs: [],
        processID: `p${services.indexOf(s.service ?? 'svc')}`,
        warnings: null,
      }),
    ),
  };
}

export const sid = (s: string) => s.padStart(16, '0');
