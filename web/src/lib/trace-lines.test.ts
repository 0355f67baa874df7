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

const lines = [
  JSON.stringify({ traceID: 'abc', partial: false, version: 2, sampling: { rate: 1, adjustedCount: 1, reason: 'head' } }),
  JSON.stringify([{ spanID: '1', operationName: 'GET /ü' }, { spanID: '2', operationName: 'caf\u00e9 \u2603' }]),
  JSON.stringify([{ spanID: '3', operationName: 'line\nbreak, escaped' }]),
  JSON.stringify({ processes: { p1: { serviceName: 'web', tags: [] } }, warnings: null }),
].join('\n') + '\n';

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
      traceID: 'abc',
      partial: false,
      version: 2,
      sampling: { rate: 1, adjustedCount: 1, reason: 'head' },
      spans: [
        { spanID: '1', operationName: 'GET /ü' },
        { spanID: '2', operationName: 'café ☃' },
        { spanID: '3', operationName: 'line\nbreak, escaped' },
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
  });
});
