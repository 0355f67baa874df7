/**
 * Reads a trace sent as `?format=jaeger-lines` (worker/query/jaeger-encode.ts `jaegerTraceLines`):
 * a head line, one JSON array of spans per line, a tail line with the processes. Each line is parsed
 * as soon as its last byte has arrived, so for a large trace the parsing runs while the rest is
 * still downloading instead of after it. The result is the Jaeger trace object the JSON format
 * gives, for the same validator.
 */

/** Calls `onLine` with each complete line of a UTF-8 byte stream (the last one need not end in "\n"). */
export async function readLines(body: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const reader = body.getReader();
  const utf8 = new TextDecoder();
  // pieces of the line being received: a line of 1,000 spans arrives in many reads, and searching
  // only the newest piece for its end keeps this linear in the bytes
  let pending: string[] = [];
  const take = (text: string) => {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      pending.push(text.slice(from, nl));
      const line = pending.join('');
      pending = [];
      if (line !== '') onLine(line);
      from = nl + 1;
    }
    if (from < text.length) pending.push(text.slice(from));
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      take(utf8.decode(value, { stream: true }));
    }
    take(utf8.decode());
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
  const last = pending.join('');
  if (last !== '') onLine(last);
}

/**
 * The trace object from its lines: `{traceID, partial, version, sampling}` first, arrays of spans,
 * then `{processes, warnings}`. Throws when a line is not JSON or the lines are not in that shape.
 */
export async function readTraceLines(body: ReadableStream<Uint8Array>): Promise<Record<string, unknown>> {
  let head: Record<string, unknown> | null = null;
  let tail: Record<string, unknown> | null = null;
  const spans: unknown[] = [];
  let n = 0;
  await readLines(body, (line) => {
    n++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`line ${n} is not JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(value)) {
      if (head === null || tail !== null) throw new Error(`line ${n}: spans outside the trace`);
      for (const s of value) spans.push(s);
    } else if (typeof value === 'object' && value !== null) {
      if (head === null) head = value as Record<string, unknown>;
      else if (tail === null) tail = value as Record<string, unknown>;
      else throw new Error(`line ${n}: more than a head and a tail`);
    } else throw new Error(`line ${n} is neither spans nor an object`);
  });
  if (head === null || tail === null) throw new Error(`the trace ended early, after ${n} line${n === 1 ? '' : 's'}`);
  return { ...(head as Record<string, unknown>), spans, ...(tail as Record<string, unknown>) };
}
