/**
 * Response bodies of the query API written as a stream of JSON text pieces, so a trace of 100,000
 * spans (or a search page of many traces) is encoded chunk by chunk as `openTrace` reads it from R2,
 * never held whole: the Jaeger envelope around streamed traces, and OTLP/JSON chunk by chunk.
 * Pure: async iterables of strings in and out; the route turns them into a ReadableStream.
 */
import type { AssembledSpan } from '../span/model';
import type { TraceHead } from '../../durable/assemble';
import { jaegerTraceJson } from './jaeger-encode';
import { encodeOtlpJson } from './otlp-encode';

export interface StreamedTrace {
  head: TraceHead;
  chunks: AsyncIterable<AssembledSpan[]> | Iterable<AssembledSpan[]>;
  partial: boolean;
}

export interface EnvelopeError {
  code: number;
  msg: string;
}

/**
 * `{"data":[trace, ...],"total":n,"limit":l,"offset":0,"errors":...}` with each trace streamed.
 * `total` counts the traces actually written (an index hit whose object is gone is left out), so it
 * follows the data. `errors` (for example ids that were not found) are known only at the end too.
 */
export async function* jaegerEnvelopeJson(
  traces: AsyncIterable<StreamedTrace | null>,
  opts: { limit: number; errors?: () => EnvelopeError[] },
): AsyncGenerator<string> {
  yield '{"data":[';
  let total = 0;
  for await (const t of traces) {
    if (t === null) continue;
    if (total > 0) yield ',';
    yield* jaegerTraceJson(t.head, t.chunks, { partial: t.partial });
    total++;
  }
  const errors = opts.errors?.() ?? [];
  yield `],"total":${total},"limit":${opts.limit},"offset":0,"errors":${errors.length > 0 ? JSON.stringify(errors) : 'null'}}`;
}

/**
 * OTLP/JSON of a trace, one resourceSpans group per resource per chunk: a resource that spans
 * several chunks appears several times, which OTLP allows (receivers merge by content, not by
 * position), and keeps memory at one chunk.
 */
export async function* otlpJson(chunks: AsyncIterable<AssembledSpan[]> | Iterable<AssembledSpan[]>): AsyncGenerator<string> {
  yield '{"resourceSpans":[';
  let first = true;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    const text = JSON.stringify(encodeOtlpJson(chunk).resourceSpans);
    yield (first ? '' : ',') + text.slice(1, -1);
    first = false;
  }
  yield ']}';
}

/**
 * `fn` over `items`, up to `concurrency` at once, yielded in input order: the next traces are
 * fetched from R2 while the current one streams out. A failure surfaces when its turn comes.
 */
export async function* inOrder<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const start = () => {
    const p = fn(items[next++] as T);
    // handled when its turn comes; until then a rejection must not count as unhandled
    p.catch(() => undefined);
    pending.push(p);
  };
  while (next < items.length && pending.length < concurrency) start();
  while (pending.length > 0) {
    const result = await pending.shift()!;
    if (next < items.length) start();
    yield result;
  }
}
