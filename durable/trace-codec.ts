/**
 * The R2 object format of a finished trace: gzip of newline-separated JSON.
 *
 *   line 1   header {f, v, traceId, version, summary, warnings, n, res, scopes}
 *   line 2…  JSON arrays of up to CHUNK compact spans
 *
 * Why this shape: a 100,000-span trace is ~50 MB as plain JSON, too much to hold as one string
 * beside the spans in a 128 MB isolate. Lines let the encoder stream chunk by chunk into
 * CompressionStream and the decoder parse chunk by chunk out of DecompressionStream, so only the
 * compressed bytes and one chunk of text are alive at once. Resources and scopes repeat on every
 * span of a service, so each distinct one is stored once in the header and spans refer to it by
 * index. Values are written in a compact tagged form that keeps every OTLP AnyValue kind exactly
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
  private readonly byText = new Map<string, number>();
  private readonly byObject = new Map<object, { tag: string; index: number }>();
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

function decSpan(c: CSpan, h: Header, resources: Resource[], scopes: Scope[], where: string): AssembledSpan {
  const res = h.res[c.r];
  if (res === undefined) throw new Error(`${where}.r: no resource ${c.r}`);
  const s: AssembledSpan = {
    traceId: (c.t ?? h.traceId) as TraceId,
    spanId: c.i as SpanId,
    name: c.n,
    kind: c.k as AssembledSpan['kind'],
    service: res.s,
    resource: resources[c.r]!,
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

export async function encodeTrace(trace: AssembledTrace): Promise<Uint8Array> {
  const resources = new Interner<CResource>();
  const scopes = new Interner<CScope>();

  // Pass 1: the resource and scope tables (the header must carry them before any span line).
  const n = trace.spans.length;
  const resIdx = new Int32Array(n);
  const scopeIdx = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const s = trace.spans[k]!;
    // the service is part of a resource entry (it is normally its service.name, but not always)
    resIdx[k] = resources.index(s.resource, s.service, () => encResource(s));
    const scope = s.scope;
    if (scope !== undefined) scopeIdx[k] = scopes.index(scope, '', () => encScope(scope));
  }

  const header: Header = {
    f: FORMAT,
    v: VERSION,
    traceId: trace.traceId,
    version: trace.version,
    summary: trace.summary,
    warnings: trace.warnings,
    n,
    res: resources.table,
    scopes: scopes.table,
  };

  // Pass 2: lines, produced only as fast as the compressor pulls them.
  const text = new TextEncoder();
  let next = -1; // -1: header still to write
  const source = new ReadableStream<BufferSource>({
    pull(controller) {
      if (next === -1) {
        controller.enqueue(text.encode(JSON.stringify(header)));
        next = 0;
        return;
      }
      if (next >= n) {
        controller.close();
        return;
      }
      const end = Math.min(n, next + CHUNK);
      const chunk: CSpan[] = new Array<CSpan>(end - next);
      for (let k = next; k < end; k++) {
        const si = scopeIdx[k]!;
        chunk[k - next] = encSpan(trace.spans[k]!, trace.traceId, resIdx[k]!, si < 0 ? undefined : si);
      }
      next = end;
      controller.enqueue(text.encode('\n' + JSON.stringify(chunk)));
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

export async function decodeTrace(bytes: Uint8Array | ArrayBuffer): Promise<AssembledTrace> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let lineNo = 0;
  let header: Header | null = null;
  let resources: Resource[] = [];
  let scopes: Scope[] = [];
  const spans: AssembledSpan[] = [];

  const takeLine = (line: string): void => {
    lineNo++;
    const json = parseLine(line, lineNo);
    if (header === null) {
      const h = json as unknown as Header;
      if (typeof h !== 'object' || h === null || h.f !== FORMAT) throw new Error(`trace object line 1.f: not an ${FORMAT} object`);
      if (h.v !== VERSION) throw new Error(`trace object line 1.v: format version ${String(h.v)} is not supported (expected ${VERSION})`);
      header = h;
      resources = h.res.map((r, i): Resource => {
        const res: Resource = { attributes: decAttrs(r.a, `res[${i}]`) };
        if (r.d !== undefined) res.droppedAttributesCount = r.d;
        return res;
      });
      scopes = h.scopes.map((c, i): Scope => {
        const s: Scope = { name: c.n };
        if (c.v !== undefined) s.version = c.v;
        if (c.a !== undefined) s.attributes = decAttrs(c.a, `scopes[${i}]`);
        if (c.d !== undefined) s.droppedAttributesCount = c.d;
        return s;
      });
      return;
    }
    if (!Array.isArray(json)) throw new Error(`trace object line ${lineNo}: expected an array of spans`);
    const h: Header = header;
    for (const c of json as unknown as CSpan[]) spans.push(decSpan(c, h, resources, scopes, `trace object span ${spans.length}`));
  };

  // Lines are long (a chunk of spans) and arrive in many small pieces: keep the pieces of the
  // current line and join them only when a newline shows up, so no text is scanned twice.
  let pieces: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    let text = done ? utf8.decode() : utf8.decode(value, { stream: true });
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      pieces.push(text.slice(0, nl));
      takeLine(pieces.join(''));
      pieces = [];
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    if (text !== '') pieces.push(text);
    if (done) break;
  }
  if (pieces.length > 0) takeLine(pieces.join(''));

  const h = header as Header | null;
  if (h === null) throw new Error('trace object: empty');
  if (spans.length !== h.n) throw new Error(`trace object: header announces ${h.n} spans, found ${spans.length}`);
  return { traceId: h.traceId, version: h.version, spans, summary: h.summary, warnings: h.warnings };
}
