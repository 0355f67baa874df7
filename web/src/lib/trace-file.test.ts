import { describe, expect, it } from 'vitest';
import { envelope, makeTrace } from '../../../test/browser/fixtures';
import type { JaegerTrace } from './jaeger';
import { jaegerToOtlp } from './otlp-convert';
import { parseTraceFile, traceDownload } from './trace-file';

const fixture = makeTrace({ spans: 60, seed: 9 }) as unknown as JaegerTrace;

describe('parseTraceFile', () => {
  it('opens the Jaeger envelope and a bare trace', () => {
    for (const body of [envelope(fixture as never), fixture]) {
      const r = parseTraceFile(JSON.stringify(body));
      expect(r.ok && r.value.spans.length).toBe(60);
    }
  });
  it('says what is wrong with a file that is not a trace', () => {
    expect(parseTraceFile('{nope')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^not JSON/) } });
    expect(parseTraceFile('{"foo":1}')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/expected Jaeger JSON/) } });
    expect(parseTraceFile('{"data":[{"spans":[{}],"processes":{}}]}')).toMatchObject({ ok: false, error: { path: 'data[0].spans[0].traceID' } });
  });
});

describe('downloads round-trip', () => {
  it('Jaeger download reopens to the same trace', () => {
    const r = parseTraceFile(traceDownload(fixture, 'jaeger'));
    expect(r.ok && r.value.spans).toEqual(fixture.spans.map((s) => ({ ...s, tags: s.tags })));
  });
  it('OTLP download reopens with the same spans, parents, times, services, attributes and events', () => {
    const otlp = JSON.parse(traceDownload(fixture, 'otlp'));
    expect(otlp.resourceSpans.length).toBeGreaterThan(1);
    const r = parseTraceFile(JSON.stringify(otlp));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const key = (t: JaegerTrace) =>
      t.spans
        .map((s) => ({
          id: s.spanID,
          op: s.operationName,
          parent: s.references.find((x) => x.refType === 'CHILD_OF')?.spanID ?? null,
          start: s.startTime,
          duration: s.duration,
          service: t.processes[s.processID]!.serviceName,
          tags: Object.fromEntries(s.tags.map((x) => [x.key, x.value])),
          logs: s.logs.map((l) => [l.timestamp, Object.fromEntries(l.fields.map((f) => [f.key, f.value]))]),
        }))
        .sort((x, y) => x.id.localeCompare(y.id));
    expect(key(r.value)).toEqual(key(fixture));
  });
  it('writes ns timestamps exactly (no float rounding)', () => {
    const t = { ...fixture, spans: [{ ...fixture.spans[0]!, startTime: 1_764_000_000_123_457, duration: 3 }] };
    const s = jaegerToOtlp(t).resourceSpans[0]!.scopeSpans![0]!.spans![0]!;
    expect([s.startTimeUnixNano, s.endTimeUnixNano]).toEqual(['1764000000123457000', '1764000000123460000']);
  });
});
