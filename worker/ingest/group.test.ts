import { describe, expect, it } from 'vitest';
import type { Span, TraceId } from '../span/model';
import { groupByTrace } from './group';

const span = (traceId: string, spanId: string) => ({ traceId, spanId }) as unknown as Span;

describe('groupByTrace', () => {
  it('puts the spans of one trace in one group and asks the sampler once per trace', () => {
    const asked: string[] = [];
    const { groups, droppedSpans } = groupByTrace(
      [span('a', '1'), span('b', '2'), span('a', '3'), span('c', '4')],
      (id: TraceId) => {
        asked.push(id);
        return { forward: id !== 'b', rate: 0.5 };
      },
    );
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(droppedSpans).toBe(1);
    expect(groups.map((g) => [g.traceId, g.spans.map((s) => s.spanId), g.sampleRate])).toEqual([
      ['a', ['1', '3'], 0.5],
      ['c', ['4'], 0.5],
    ]);
  });
});
