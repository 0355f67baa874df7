/**
 * A span we acknowledged is never lost, not even when the runtime is killed: edgetrace runs as a
 * real process (npm start → wrangler dev), gets SIGKILL right after answering 200, and is started
 * again on the same state; every acknowledged span must be in the finished traces.
 */
import { afterAll, expect, it } from 'vitest';
import { otlpJson, randomHex, type SpanSpec } from '../helpers/spans';
import { eventually, newStateDir, removeStateDir, startDevServer } from './dev-server';

const stateDir = newStateDir();
afterAll(() => removeStateDir(stateDir));

it('every span acknowledged before a SIGKILL is in the finished trace after a restart', async () => {
  // A long idle time: nothing is flushed before the kill, so the spans exist only in DO storage.
  const vars = { TRACE_IDLE_SECONDS: '2' };
  const first = await startDevServer({ stateDir, vars });
  const traces: { traceId: string; spans: SpanSpec[] }[] = [];
  try {
    for (let t = 0; t < 5; t++) {
      const traceId = randomHex(16);
      const spans: SpanSpec[] = Array.from({ length: 6 }, (_, i) => ({ spanId: randomHex(8), name: `op-${i}`, start: i, end: i + 5 }));
      // each trace in two requests: both must be acknowledged
      for (const part of [spans.slice(0, 3), spans.slice(3)]) {
        const res = await fetch(`${first.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(traceId, part) });
        expect(res.status).toBe(200);
      }
      traces.push({ traceId, spans });
    }
  } finally {
    await first.stop('SIGKILL');
  }

  const second = await startDevServer({ stateDir, vars, port: first.port });
  try {
    for (const { traceId, spans } of traces) {
      const got = await eventually(async () => {
        const res = await fetch(`${second.url}/api/traces/${traceId}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { data: { partial?: boolean; spans: { spanID: string }[] }[] };
        const t = body.data[0];
        return t && !t.partial && t.spans.length === spans.length ? t : undefined;
      }, `trace ${traceId} after restart`, 60_000);
      expect(got.spans.map((s) => s.spanID).sort()).toEqual(spans.map((s) => s.spanId).sort());
    }
  } finally {
    await second.stop();
  }
});
