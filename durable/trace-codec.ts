/**
 * The R2 object format of a finished trace: gzip of newline-separated JSON.
 *
 *   line 1   header {f, v, traceId, version, summary, warnings, n}
 *   then     {res, scopes} objects adding resources/scopes to the tables, each before the first
 *            span line that uses them, and JSON arrays of up to CHUNK compact spans
 *
 * Why this shape: a 100,000-span trace is ~50 MB as plain JSON, too much to hold as one string
 * beside the spans in a 128 MB isolate. Lines let the encoder stream chunk by chunk into
 * CompressionStream and the decoder parse chunk by chunk out of DecompressionStream, so only the
 * compressed bytes and one chunk of text are alive at once (see `planAssembly` and
 * `annotateSpans` for a trace too large to hold whole). Resources and scopes repeat on every span
 * of a service, so each distinct one is stored once and spans refer to it by index. Values are written in a compact tagged form that keeps every OTLP AnyValue kind exactly
 * (int64 as a decimal string, NaN/±Infinity/-0 doubles, bytes, nested lists); timestamps stay
 * decimal ns strings.
 */
import type {
  AnyValue,
  AssembledSpan,
  AssembledTrace,
  KeyValue,
  Resource,
  Scope,
  SpanAnnotations,
  SpanEvent,
  SpanLink,
  SpanId,
  TraceId,
  TraceSummary,
  UnixNanos,
} from '../worker/span/model';
import type { TraceHead } from './assemble';

export type { TraceHead };

const FORMAT = 'edgetrace-trace';
const VERSION = 1;
/** Spans per line: big enough that per-line overhead vanishes, small enough to bound memory. */
const CHUNK = 1000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A compact value: string/bool/finite number as themselves, arrays as arrays, others tagged. */
type CValue = null | boolean | number | string | CValue[] | { i: string } | { d: string } | { b: string } | { k: CAttrs };
/** Attributes flattened: [key, value, key, value, ...]. */
type CAttrs = Array<string | CValue>;

interface CResource {
  s: string;
  a: CAttrs;
  d?: number;
}
interface CScope {
  n: string;
  v?: string;
  a?: CAttrs;
  d?: number;
}
interface CEvent {
  t: string;
  n: string;
  a?: CAttrs;
  d?: number;
}
interface CLink {
  t: string;
  i: string;
  ts?: string;
  a?: CAttrs;
  d?: number;
  f?: number;
}
interface CSpan {
  i: string;
  /** traceId, only when it differs from the trace's */
  t?: string;
  p?: string;
  ts?: string;
  f?: number;
  n: string;
  k: number;
  r: number;
  s?: number;
  b: string;
  e: string;
  a?: CAttrs;
  da?: number;
  ev?: CEvent[];
  de?: number;
  l?: CLink[];
  dl?: number;
  sc?: number;
  sm?: string;
  x?: SpanAnnotations;
}
interface Header {
  f: string;
  v: number;
  traceId: TraceId;
  version: number;
  summary: TraceSummary;
  warnings: string[];
  n: number;
}
/** A line that adds entries to the resource and scope tables. */
interface TableLine {
  res: CResource[];
  scopes: CScope[];
}

// ---- values ----

function encValue(v: AnyValue): CValue {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return { i: String(v.intValue) };
  if ('doubleValue' in v) {
    const d = v.doubleValue;
    // JSON has no NaN or Infinity and writes -0 as 0.
    if (Number.isFinite(d) && !Object.is(d, -0)) return d;
    return { d: Object.is(d, -0) ? '-0' : String(d) };
  }
  if ('arrayValue' in v) return v.arrayValue.values.map(encValue);
  if ('kvlistValue' in v) return { k: encAttrs(v.kvlistValue.values) };
  if ('bytesValue' in v) return { b: v.bytesValue };
  return null;
}

function encAttrs(attrs: readonly KeyValue[]): CAttrs {
  const out: CAttrs = new Array<string | CValue>(attrs.length * 2);
  for (let i = 0; i < attrs.length; i++) {
    out[2 * i] = attrs[i]!.key;
    out[2 * i + 1] = encValue(attrs[i]!.value);
  }
  return out;
}

function decValue(c: CValue, where: string): AnyValue {
  if (c === null) return {};
  if (typeof c === 'string') return { stringValue: c };
  if (typeof c === 'boolean') return { boolValue: c };
  if (typeof c === 'number') return { doubleValue: c };
  if (Array.isArray(c)) return { arrayValue: { values: c.map((x) => decValue(x, where)) } };
  if ('i' in c) return { intValue: c.i };
  if ('d' in c) return { doubleValue: c.d === '-0' ? -0 : Number(c.d) };
  if ('b' in c) return { bytesValue: c.b };
  if ('k' in c) return { kvlistValue: { values: decAttrs(c.k, where) } };
  throw new Error(`${where}: unknown value ${JSON.stringify(c)}`);
}

function decAttrs(c: CAttrs | undefined, where: string): KeyValue[] {
  if (c === undefined) return [];
  const out: KeyValue[] = new Array<KeyValue>(c.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const key = c[2 * i];
    if (typeof key !== 'string') throw new Error(`${where}.attributes[${i}].key: must be a string`);
    out[i] = { key, value: decValue(c[2 * i + 1] as CValue, `${where}.attributes[${i}]`) };
  }
  return out;
}

// ---- resources and scopes, interned ----

/**
 * Stores each distinct entry once. Spans decoded together often share one object, which is looked
 * up by identity first; otherwise entries with the same content share one index.
 */
class Interner<C> {
  readonly table: C[] = [];
  /** entries already written to the object */
  written = 0;
  private readonly byText = new Map<string, number>();
  // Weak: in a streamed write the spans (and their resources) of past chunks must be collectable.
  private readonly byObject = new WeakMap<object, { tag: string; index: number }>();
  index(obj: object, tag: string, compact: () => C): number {
    const known = this.byObject.get(obj);
    if (known !== undefined && known.tag === tag) return known.index;
    const c = compact();
    const text = JSON.stringify(c);
    let i = this.byText.get(text);
    if (i === undefined) {
      i = this.table.length;
      this.table.push(c);
      this.byText.set(text, i);
    }
    this.byObject.set(obj, { tag, index: i });
    return i;
  }
}

function encResource(span: AssembledSpan): CResource {
  const r: CResource = { s: span.service, a: encAttrs(span.resource.attributes) };
  if (span.resource.droppedAttributesCount !== undefined) r.d = span.resource.droppedAttributesCount;
  return r;
}

function encScope(s: Scope): CScope {
  const c: CScope = { n: s.name };
  if (s.version !== undefined) c.v = s.version;
  if (s.attributes !== undefined) c.a = encAttrs(s.attributes);
  if (s.droppedAttributesCount !== undefined) c.d = s.droppedAttributesCount;
  return c;
}

// ---- spans ----

function encSpan(s: AssembledSpan, traceId: string, r: number, scope: number | undefined): CSpan {
  const c: CSpan = { i: s.spanId, n: s.name, k: s.kind, r, b: s.startTimeUnixNano, e: s.endTimeUnixNano };
  if (s.traceId !== traceId) c.t = s.traceId;
  if (s.parentSpanId !== undefined) c.p = s.parentSpanId;
  if (s.traceState !== undefined) c.ts = s.traceState;
  if (s.flags !== undefined) c.f = s.flags;
  if (scope !== undefined) c.s = scope;
  if (s.attributes.length > 0) c.a = encAttrs(s.attributes);
  if (s.droppedAttributesCount !== undefined) c.da = s.droppedAttributesCount;
  if (s.events.length > 0) {
    c.ev = s.events.map((e) => {
      const ce: CEvent = { t: e.timeUnixNano, n: e.name };
      if (e.attributes.length > 0) ce.a = encAttrs(e.attributes);
      if (e.droppedAttributesCount !== undefined) ce.d = e.droppedAttributesCount;
      return ce;
    });
  }
  if (s.droppedEventsCount !== undefined) c.de = s.droppedEventsCount;
  if (s.links.length > 0) {
    c.l = s.links.map((l) => {
      const cl: CLink = { t: l.traceId, i: l.spanId };
      if (l.traceState !== undefined) cl.ts = l.traceState;
      if (l.attributes.length > 0) cl.a = encAttrs(l.attributes);
      if (l.droppedAttributesCount !== undefined) cl.d = l.droppedAttributesCount;
      if (l.flags !== undefined) cl.f = l.flags;
      return cl;
    });
  }
  if (s.droppedLinksCount !== undefined) c.dl = s.droppedLinksCount;
  if (s.status.code !== 0) c.sc = s.status.code;
  if (s.status.message !== undefined) c.sm = s.status.message;
  if (s.ann !== undefined) c.x = s.ann;
  return c;
}

function decSpan(c: CSpan, h: Header, services: string[], resources: Resource[], scopes: Scope[], where: string): AssembledSpan {
  const res = resources[c.r];
  if (res === undefined) throw new Error(`${where}.r: no resource ${c.r}`);
  const s: AssembledSpan = {
    traceId: (c.t ?? h.traceId) as TraceId,
    spanId: c.i as SpanId,
    name: c.n,
    kind: c.k as AssembledSpan['kind'],
    service: services[c.r]!,
    resource: res,
    startTimeUnixNano: c.b as UnixNanos,
    endTimeUnixNano: c.e as UnixNanos,
    attributes: decAttrs(c.a, where),
    events: [],
    links: [],
    status: { code: (c.sc ?? 0) as AssembledSpan['status']['code'] },
  };
  if (c.p !== undefined) s.parentSpanId = c.p as SpanId;
  if (c.ts !== undefined) s.traceState = c.ts;
  if (c.f !== undefined) s.flags = c.f;
  if (c.s !== undefined) {
    const scope = scopes[c.s];
    if (scope === undefined) throw new Error(`${where}.s: no scope ${c.s}`);
    s.scope = scope;
  }
  if (c.da !== undefined) s.droppedAttributesCount = c.da;
  if (c.ev !== undefined) {
    s.events = c.ev.map((e, k): SpanEvent => {
      const ev: SpanEvent = { timeUnixNano: e.t as UnixNanos, name: e.n, attributes: decAttrs(e.a, `${where}.events[${k}]`) };
      if (e.d !== undefined) ev.droppedAttributesCount = e.d;
      return ev;
    });
  }
  if (c.de !== undefined) s.droppedEventsCount = c.de;
  if (c.l !== undefined) {
    s.links = c.l.map((l, k): SpanLink => {
      const link: SpanLink = { traceId: l.t as TraceId, spanId: l.i as SpanId, attributes: decAttrs(l.a, `${where}.links[${k}]`) };
      if (l.ts !== undefined) link.traceState = l.ts;
      if (l.d !== undefined) link.droppedAttributesCount = l.d;
      if (l.f !== undefined) link.flags = l.f;
      return link;
    });
  }
  if (c.dl !== undefined) s.droppedLinksCount = c.dl;
  if (c.sm !== undefined) s.status.message = c.sm;
  if (c.x !== undefined) s.ann = c.x;
  return s;
}

// ---- streams ----

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.byteLength;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export const traceHead = (t: AssembledTrace): TraceHead => ({
  traceId: t.traceId,
  version: t.version,
  summary: t.summary,
  warnings: t.warnings,
  spanCount: t.spans.length,
});

function* chunksOf<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export async function encodeTrace(trace: AssembledTrace): Promise<Uint8Array> {
  return encodeTraceStream(traceHead(trace), chunksOf(trace.spans, CHUNK));
}

/**
 * Writes a trace whose spans come in chunks (for example from `annotateSpans`), pulling the next
 * chunk only when the compressor has taken the previous one: memory stays at one chunk plus the
 * compressed bytes. `head.spanCount` must be the number of spans the chunks hold.
 */
export async function encodeTraceStream(
  head: TraceHead,
  chunks: Iterable<AssembledSpan[]> | AsyncIterable<AssembledSpan[]>,
): Promise<Uint8Array> {
  const resources = new Interner<CResource>();
  const scopes = new Interner<CScope>();
  const header: Header = {
    f: FORMAT,
    v: VERSION,
    traceId: head.traceId,
    version: head.version,
    summary: head.summary,
    warnings: head.warnings,
    n: head.spanCount,
  };
  const it = Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
  const text = new TextEncoder();
  let started = false;
  let count = 0;
  const source = new ReadableStream<BufferSource>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(text.encode(JSON.stringify(header)));
        return;
      }
      const next = await it.next();
      if (next.done) {
        if (count !== head.spanCount) controller.error(new Error(`encodeTraceStream: head announces ${head.spanCount} spans, chunks held ${count}`));
        else controller.close();
        return;
      }
      const spans = next.value;
      const line: CSpan[] = new Array<CSpan>(spans.length);
      for (let k = 0; k < spans.length; k++) {
        const s = spans[k]!;
        // the service is part of a resource entry (it is normally its service.name, but not always)
        const r = resources.index(s.resource, s.service, () => encResource(s));
        const scope = s.scope;
        const si = scope === undefined ? undefined : scopes.index(scope, '', () => encScope(scope));
        line[k] = encSpan(s, head.traceId, r, si);
      }
      count += spans.length;
      let out = '';
      if (resources.written < resources.table.length || scopes.written < scopes.table.length) {
        const table: TableLine = { res: resources.table.slice(resources.written), scopes: scopes.table.slice(scopes.written) };
        resources.written = resources.table.length;
        scopes.written = scopes.table.length;
        out += '\n' + JSON.stringify(table);
      }
      out += '\n' + JSON.stringify(line);
      controller.enqueue(text.encode(out));
    },
  });
  return collect(source.pipeThrough(new CompressionStream('gzip')));
}

function parseLine(line: string, lineNo: number): Json {
  try {
    return JSON.parse(line) as Json;
  } catch (e) {
    throw new Error(`trace object line ${lineNo}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The lines of the gzipped object, decompressed and split as they arrive. */
async function* lines(bytes: Uint8Array | ArrayBuffer): AsyncGenerator<string> {
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  // Lines are long (a chunk of spans) and arrive in many small pieces: keep the pieces of the
  // current line and join them only when a newline shows up, so no text is scanned twice.
  let pieces: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    let text = done ? utf8.decode() : utf8.decode(value, { stream: true });
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      pieces.push(text.slice(0, nl));
      yield pieces.join('');
      pieces = [];
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    if (text !== '') pieces.push(text);
    if (done) break;
  }
  if (pieces.length > 0) yield pieces.join('');
}

/**
 * Opens a stored trace: its head at once, its spans as chunks read on demand (so a large trace can
 * be served without holding it whole). The chunk generator throws if the object is cut short.
 */
export async function openTrace(bytes: Uint8Array | ArrayBuffer): Promise<{ head: TraceHead; chunks: AsyncGenerator<AssembledSpan[]> }> {
  const it = lines(bytes);
  const first = await it.next();
  if (first.done) throw new Error('trace object: empty');
  const h = parseLine(first.value, 1) as unknown as Header;
  if (typeof h !== 'object' || h === null || Array.isArray(h) || h.f !== FORMAT) throw new Error(`trace object line 1.f: not an ${FORMAT} object`);
  if (h.v !== VERSION) throw new Error(`trace object line 1.v: format version ${String(h.v)} is not supported (expected ${VERSION})`);
  const head: TraceHead = { traceId: h.traceId, version: h.version, summary: h.summary, warnings: h.warnings, spanCount: h.n };

  async function* chunks(): AsyncGenerator<AssembledSpan[]> {
    const services: string[] = [];
    const resources: Resource[] = [];
    const scopes: Scope[] = [];
    let lineNo = 1;
    let count = 0;
    for await (const line of it) {
      lineNo++;
      const json = parseLine(line, lineNo);
      if (Array.isArray(json)) {
        const out: AssembledSpan[] = new Array<AssembledSpan>(json.length);
        for (let k = 0; k < json.length; k++) {
          out[k] = decSpan(json[k] as unknown as CSpan, h, services, resources, scopes, `trace object span ${count + k}`);
        }
        count += out.length;
        yield out;
      } else if (json !== null && typeof json === 'object') {
        const t = json as unknown as TableLine;
        for (const r of t.res ?? []) {
          const res: Resource = { attributes: decAttrs(r.a, `res[${resources.length}]`) };
          if (r.d !== undefined) res.droppedAttributesCount = r.d;
          services.push(r.s);
          resources.push(res);
        }
        for (const c of t.scopes ?? []) {
          const sc: Scope = { name: c.n };
          if (c.v !== undefined) sc.version = c.v;
          if (c.a !== undefined) sc.attributes = decAttrs(c.a, `scopes[${scopes.length}]`);
          if (c.d !== undefined) sc.droppedAttributesCount = c.d;
          scopes.push(sc);
        }
      } else {
        throw new Error(`trace object line ${lineNo}: expected spans or a table`);
      }
    }
    if (count !== h.n) throw new Error(`trace object: header announces ${h.n} spans, found ${count}`);
  }
  return { head, chunks: chunks() };
}

export async function decodeTrace(bytes: Uint8Array | ArrayBuffer): Promise<AssembledTrace> {
  const { head, chunks } = await openTrace(bytes);
  const spans: AssembledSpan[] = [];
  for await (const chunk of chunks) for (const s of chunk) spans.push(s);
  return { traceId: head.traceId, version: head.version, spans, summary: head.summary, warnings: head.warnings };
}
