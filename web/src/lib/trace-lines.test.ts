import { describe, expect, it } from 'vitest';
import { readLines, readTraceLines } from './trace-lines';

/** A byte stream that delivers `text` cut at the given byte offsets. */
function streamOf(text: string, cuts: number[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const edges = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i + 1 >= edges.length) return controller.close();
      controller.enqueue(bytes.slice(edges[i], edges[i + 1]));
      i++;
    },
  });
}

const T = 'abc';
// compact span lines as jaegerTraceLines writes them (worker/query/jaeger-encode.ts CompactWriter)
const lines = [
  JSON.stringify({ traceID: T, partial: false, version: 2, sampling: { rate: 1, adjustedCount: 1, reason: 'head' } }),
  JSON.stringify([
    { b: 1000, k: ['span.kind', 'string', 'retries', 'int64', 'ratio', 'float64'], t: [0, 'server', 1, 3], n: ['GET /ü'] },
    ['1', 0, 0, 50, 1, 0, [0, 1, -3, 0.5]],
    ['2', 'caf\u00e9 \u2603', 10, 20, 2, '1', [-1, 'client'], { f: 0, r: ['9', ['f', 'b2']], w: ['late'], e: { late: true } }],
  ]),
  JSON.stringify([
    { b: 5000, k: ['event', 'string'], t: [3, 'retry'] },
    ['3', 'line\nbreak, escaped', -1, 1, 1, '2', [0], { t: 'other', l: [[2, [2, -2, 'x']]] }],
    ['4', 0, 0, 1, 1, 0, []],
  ]),
  JSON.stringify({ processes: { p1: { serviceName: 'web', tags: [] } }, warnings: null }),
].join('\n') + '\n';

const jaeger = (s: Record<string, unknown>) => ({ traceID: T, references: [], flags: 1, logs: [], warnings: null, edgetrace: undefined, ...s });

describe('readLines', () => {
  it('gives each line whole, however the bytes are cut (inside a line, a multi-byte character, a newline)', async () => {
    const bytes = new TextEncoder().encode(lines).length;
    for (const cuts of [[], [1], [5, 6, 7, 60, 61, 62, 63], Array.from({ length: bytes }, (_, i) => i)]) {
      const got: string[] = [];
      await readLines(streamOf(lines, cuts), (l) => got.push(l));
      expect(got).toEqual(lines.trimEnd().split('\n'));
    }
  });

  it('gives a last line that has no newline', async () => {
    const got: string[] = [];
    await readLines(streamOf('{"a":1}\n[2]', [3]), (l) => got.push(l));
    expect(got).toEqual(['{"a":1}', '[2]']);
  });
});

describe('readTraceLines', () => {
  it('puts the trace back together: head, every span in order, processes and warnings', async () => {
    const t = await readTraceLines(streamOf(lines, [10, 100]));
    expect(t).toEqual({
      traceID: T,
      partial: false,
      version: 2,
      sampling: { rate: 1, adjustedCount: 1, reason: 'head' },
      spans: [
        jaeger({
          spanID: '1',
          operationName: 'GET /ü',
          startTime: 1000,
          duration: 50,
          processID: 'p1',
          tags: [
            { key: 'span.kind', type: 'string', value: 'server' },
            { key: 'retries', type: 'int64', value: 3 },
            { key: 'ratio', type: 'float64', value: 0.5 },
          ],
        }),
        jaeger({
          spanID: '2',
          operationName: 'café ☃',
          startTime: 1010,
          duration: 20,
          processID: 'p2',
          flags: 0,
          references: [
            { refType: 'CHILD_OF', traceID: T, spanID: '1' },
            { refType: 'FOLLOWS_FROM', traceID: T, spanID: '9' },
            { refType: 'FOLLOWS_FROM', traceID: 'b2', spanID: 'f' },
          ],
          tags: [{ key: 'span.kind', type: 'string', value: 'client' }],
          warnings: ['late'],
          edgetrace: { late: true },
        }),
        jaeger({
          traceID: 'other',
          spanID: '3',
          operationName: 'line\nbreak, escaped',
          startTime: 4999,
          duration: 1,
          processID: 'p1',
          references: [{ refType: 'CHILD_OF', traceID: 'other', spanID: '2' }],
          tags: [{ key: 'span.kind', type: 'string', value: 'server' }],
          logs: [
            {
              timestamp: 5002,
              fields: [
                { key: 'event', type: 'string', value: 'retry' },
                { key: 'retries', type: 'int64', value: 'x' },
              ],
            },
          ],
        }),
        jaeger({ spanID: '4', operationName: 'GET /ü', startTime: 5000, duration: 1, processID: 'p1', tags: [] }),
      ],
      processes: { p1: { serviceName: 'web', tags: [] } },
      warnings: null,
    });
  });

  it('says what is wrong with a cut or broken body', async () => {
    const cut = lines.split('\n').slice(0, 2).join('\n');
    await expect(readTraceLines(streamOf(cut, []))).rejects.toThrow(/ended early, after 2 lines/);
    await expect(readTraceLines(streamOf('{"traceID":"a"}\n[{"spanID":', []))).rejects.toThrow(/line 2 is not JSON/);
    await expect(readTraceLines(streamOf('[1]\n', []))).rejects.toThrow(/line 1: spans outside the trace/);
    await expect(readTraceLines(streamOf('{"traceID":"a"}\n[{"b":0},["1",0,0,1,1,0,[]]]\n', []))).rejects.toThrow(/line 2: .*no name 0/);
    await expect(readTraceLines(streamOf('{"traceID":"a"}\n[{"b":0},["1","x",0,1,1,0,[4]]]\n', []))).rejects.toThrow(/line 2: .*no tag 4/);
    await expect(readTraceLines(streamOf('{"traceID":"a"}\n[{"b":0},["1","x",0,1,1,0,[-2,"v"]]]\n', []))).rejects.toThrow(/line 2: .*no key 1/);
    await expect(readTraceLines(streamOf('{"traceID":"a"}\n[["1","x",0,1,1,0,[]]]\n', []))).rejects.toThrow(/line 2: .*no head/);
  });
});
