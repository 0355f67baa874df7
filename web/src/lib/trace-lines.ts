/**
 * Reads a trace sent as `?format=jaeger-lines` (worker/query/jaeger-encode.ts `jaegerTraceLines`):
 * a head line, one line of compact spans per chunk, a tail line with the processes. Each line is
 * parsed and turned into Jaeger spans as soon as its last byte has arrived, so for a large trace
 * this runs while the rest is still downloading instead of after it. The result is the Jaeger
 * trace object the JSON format gives, for the same validator.
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

type Value = string | number | boolean;
interface Tag {
  key: string;
  type: string;
  value: Value;
}
interface Reference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

const bad = (what: string): Error => new Error(`bad span line: ${what}`);

/**
 * Turns the compact span lines back into Jaeger spans, with the tables the lines build up (their
 * shape is written beside `CompactWriter` in worker/query/jaeger-encode.ts). A tag from the table
 * is one object shared by every span that has it: nothing on the page changes a tag, and a
 * 100,000-span trace then makes a fraction of the objects the JSON would.
 */
class SpanLines {
  private readonly keys: string[] = [];
  private readonly types: string[] = [];
  private readonly tags: Tag[] = [];
  private readonly names: string[] = [];
  private readonly processes: string[] = [];

  constructor(private readonly traceID: string) {}

  private tagList(flat: unknown): Tag[] {
    if (!Array.isArray(flat)) throw bad('tags are not a list');
    const out: Tag[] = [];
    for (let i = 0; i < flat.length; i++) {
      const x = flat[i] as number;
      if (x >= 0) {
        const t = this.tags[x];
        if (t === undefined) throw bad(`no tag ${x}`);
        out.push(t);
      } else {
        const key = this.keys[-x - 1];
        if (key === undefined) throw bad(`no key ${-x - 1}`);
        out.push({ key, type: this.types[-x - 1]!, value: flat[++i] as Value });
      }
    }
    return out;
  }

  private process(n: number): string {
    return (this.processes[n] ??= `p${n}`);
  }

  /** Appends the spans of one line to `spans`. */
  read(line: unknown[], spans: unknown[]): void {
    const head = line[0] as { b: number; k?: string[]; t?: unknown[]; n?: string[] } | null;
    if (typeof head !== 'object' || head === null || typeof head.b !== 'number') throw bad('no head');
    const base = head.b;
    if (head.k) for (let i = 0; i < head.k.length; i += 2) this.keys.push(head.k[i]!), this.types.push(head.k[i + 1]!);
    if (head.t) {
      for (let i = 0; i < head.t.length; i += 2) {
        const k = head.t[i] as number;
        const key = this.keys[k];
        if (key === undefined) throw bad(`no key ${k}`);
        this.tags.push({ key, type: this.types[k]!, value: head.t[i + 1] as Value });
      }
    }
    if (head.n) for (const name of head.n) this.names.push(name);
    for (let i = 1; i < line.length; i++) {
      const row = line[i] as unknown[];
      if (!Array.isArray(row) || row.length < 7) throw bad(`span ${i - 1} is not a span`);
      const x = row[7] as { t?: string; f?: number; r?: (string | [string, string])[]; l?: [number, unknown][]; w?: string[]; e?: unknown } | undefined;
      const traceID = x?.t ?? this.traceID;
      const references: Reference[] = [];
      const parent = row[5] as string | 0;
      if (parent !== 0) references.push({ refType: 'CHILD_OF', traceID, spanID: parent });
      if (x?.r) {
        for (const r of x.r) {
          references.push(typeof r === 'string' ? { refType: 'FOLLOWS_FROM', traceID: this.traceID, spanID: r } : { refType: 'FOLLOWS_FROM', traceID: r[1], spanID: r[0] });
        }
      }
      let op = row[1];
      if (typeof op === 'number') {
        op = this.names[op];
        if (op === undefined) throw bad(`no name ${row[1] as number}`);
      }
      const logs: { timestamp: number; fields: Tag[] }[] = [];
      if (x?.l) for (const l of x.l) logs.push({ timestamp: l[0] + base, fields: this.tagList(l[1]) });
      spans.push({
        traceID,
        spanID: row[0],
        operationName: op,
        references,
        flags: x?.f ?? 1,
        startTime: (row[2] as number) + base,
        duration: row[3],
        tags: this.tagList(row[6]),
        logs,
        processID: this.process(row[4] as number),
        warnings: x?.w ?? null,
        // undefined rather than absent keeps every span object the same shape (fast)
        edgetrace: x?.e,
      });
    }
  }
}

/**
 * The trace object from its lines: `{traceID, partial, version, sampling}` first, lines of spans,
 * then `{processes, warnings}`. Throws when a line is not JSON or the lines are not in that shape.
 */
export async function readTraceLines(body: ReadableStream<Uint8Array>): Promise<Record<string, unknown>> {
  let head: Record<string, unknown> | null = null;
  let tail: Record<string, unknown> | null = null;
  let reader: SpanLines | null = null;
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
      if (reader === null || tail !== null) throw new Error(`line ${n}: spans outside the trace`);
      try {
        reader.read(value, spans);
      } catch (e) {
        throw new Error(`line ${n}: ${(e as Error).message}`);
      }
    } else if (typeof value === 'object' && value !== null) {
      if (head === null) {
        head = value as Record<string, unknown>;
        if (typeof head.traceID !== 'string') throw new Error(`line ${n}: the head has no traceID`);
        reader = new SpanLines(head.traceID);
      } else if (tail === null) tail = value as Record<string, unknown>;
      else throw new Error(`line ${n}: more than a head and a tail`);
    } else throw new Error(`line ${n} is neither spans nor an object`);
  });
  if (head === null || tail === null) throw new Error(`the trace ended early, after ${n} line${n === 1 ? '' : 's'}`);
  return { ...(head as Record<string, unknown>), spans, ...(tail as Record<string, unknown>) };
}
