/**
 * The R2 object format of a finished trace: gzip of newline-separated JSON.
 *
 *   line 1   header
 *   then     {res, scopes} objects adding resources/scopes to the tables, each before the first
 *            span line that uses them, and JSON arrays of up to CHUNK compact spans
 *
 * Why lines: a 100,000-span trace is ~50 MB as plain JSON, too much to hold as one string beside
 * the spans in a 128 MB isolate. Lines let the encoder stream chunk by chunk into
 * CompressionStream and the decoder parse chunk by chunk out of DecompressionStream, so only the
 * compressed bytes and one chunk of text are alive at once (see `planAssembly` and
 * `annotateSpans` for a trace too large to hold whole). Resources and scopes repeat on every span
 * of a service, so each distinct one is stored once and spans refer to it by index.
 *
 * Why so terse: most traces are small, and gzip only shortens what repeats inside one object, so
 * a small trace pays in full for each name it uses once and for every digit. Version 2 writes
 * times as short offsets, leaves out what the reader can derive and writes well-known attribute
 * keys as numbers: 22–25% fewer bytes than version 1 from 8 to 10,000 spans (bench/codec-size.ts).
 *
 * Header {f: "edgetrace-trace", v: 2, id, ver, n, w, t0, dur, rs, ro, err, orph, svc, rate, why}:
 *   the trace's id, version, span count and warnings (w, left out when none), and its summary:
 *   t0 startTimeUnixNano, dur durationNanos, rs/ro root service/operation, err/orph error/orphan
 *   counts, svc spans per service, rate sampleRate, why samplingReason. The summary's traceId,
 *   spanCount and version (the header's) and adjustedCount (1 / rate) are derived on read; each is
 *   written (sid, sn, sver, adj) only when it differs.
 * Span {i spanId, t traceId (left out when the trace's), p parentSpanId, ts traceState, f flags,
 *   n name, k kind, r resource, s scope, b start, e end, a attributes, da dropped attributes,
 *   ev events [{t, n, a, d}], de, l links [{t, i, ts, a, d, f}], dl, sc/sm status code/message,
 *   x annotations}. A parent that is a number is the index of the parent in the same line.
 * Times: a number is an offset in ns (b from t0; e and an event's t from the span's start), a
 *   string the absolute ns time, written when an offset would not be exact.
 * Attributes [key, value, key, value, ...]: a key that is a number is its index in
 *   ATTRIBUTE_KEYS. A value is itself when a string, bool or finite double, an array for a list,
 *   null when empty, else tagged: {i: int64 decimal}, {d: "NaN"/"Infinity"/"-Infinity"/"-0"},
 *   {b: base64 bytes}, {k: attributes of a kvlist}.
 * Annotations {o orphan, k skewNanos, nt [requestNanos, responseNanos], nf networkFailure, l late,
 *   w warnings}, ns as numbers when exact. The network legs of a SERVER span whose parent in the
 *   same line is a CLIENT span of another service follow from their times and skew, and are left
 *   out when they are those (nt: false when there are none; x: false when no annotations at all).
 * Resource {s service, a attributes, d dropped}: s is left out when it is the value of the first
 *   service.name attribute. Scope {n name, v version, a attributes, d dropped}.
 *
 * Version 1 (read, no longer written) has the header {f, v: 1, traceId, version, summary,
 * warnings, n}, every time, parent and link trace id as a string, every attribute key and
 * resource service written out, and the SpanAnnotations object itself as x.
 */
import type {
  AnyValue,
  AssembledSpan,
  AssembledTrace,
  KeyValue,
  Nanos,
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
import { SpanKind } from '../worker/span/model';
import type { TraceHead } from './assemble';
import { ATTRIBUTE_KEYS } from './attribute-keys';

export type { TraceHead };

const FORMAT = 'edgetrace-trace';
const VERSION = 2;
/** Spans per line: big enough that per-line overhead vanishes, small enough to bound memory. */
const CHUNK = 1000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A compact value: string/bool/finite number as themselves, arrays as arrays, others tagged. */
type CValue = null | boolean | number | string | CValue[] | { i: string } | { d: string } | { b: string } | { k: CAttrs };
/** Attributes flattened: [key, value, key, value, ...], a key as its index in ATTRIBUTE_KEYS when it is there. */
type CAttrs = Array<string | CValue>;
/** A time or a duration: ns offset as a number, or the absolute decimal string. */
type CTime = number | string;

interface CResource {
  s?: string;
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
  t: CTime;
  n: string;
  a?: CAttrs;
  d?: number;
}
interface CLink {
  t?: string;
  i: string;
  ts?: string;
  a?: CAttrs;
  d?: number;
  f?: number;
}
interface CAnn {
  o?: boolean;
  k?: CTime;
  /** false: no legs, where they would be derived */
  nt?: [CTime, CTime] | false;
  nf?: boolean;
  l?: boolean;
  w?: string[];
}
interface CSpan {
  i: string;
  /** traceId, only when it differs from the trace's */
  t?: string;
  p?: string | number;
  ts?: string;
  f?: number;
  n: string;
  k: number;
  r: number;
  s?: number;
  b: CTime;
  e: CTime;
  a?: CAttrs;
  da?: number;
  ev?: CEvent[];
  de?: number;
  l?: CLink[];
  dl?: number;
  sc?: number;
  sm?: string;
  /** CAnn or, where network legs would be derived, false for none (version 2); SpanAnnotations (version 1) */
  x?: CAnn | false | SpanAnnotations;
}
interface HeaderV1 {
  f: string;
  v: 1;
  traceId: TraceId;
  version: number;
  summary: TraceSummary;
  warnings: string[];
  n: number;
}
interface Header {
  f: string;
  v: 2;
  id: TraceId;
  ver: number;
  n: number;
  w?: string[];
  t0: UnixNanos;
  dur: Nanos;
  rs: string;
  ro: string;
  err: number;
  orph: number;
  svc: Record<string, number>;
  rate: number;
  why?: string;
  adj?: number;
  sid?: TraceId;
  sn?: number;
  sver?: number;
}
/** A line that adds entries to the resource and scope tables. */
interface TableLine {
  res: CResource[];
  scopes: CScope[];
}

// ---- attribute keys ----

const KEY_INDEX = new Map(ATTRIBUTE_KEYS.map((k, i) => [k, i]));

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
    const key = attrs[i]!.key;
    out[2 * i] = KEY_INDEX.get(key) ?? key;
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
    const written = c[2 * i];
    const key = typeof written === 'number' ? ATTRIBUTE_KEYS[written] : written;
    if (typeof key !== 'string') throw new Error(`${where}.attributes[${i}].key: must be a string or an index in the key list`);
    out[i] = { key, value: decValue(c[2 * i + 1] as CValue, `${where}.attributes[${i}]`) };
  }
  return out;
}

// ---- times ----
//
// Absolute ns times need 19 digits and a bigint; offsets within a trace fit a JS number exactly
// (2^53 ns is 104 days) and take about half the digits.

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** The time as a bigint, or undefined when the string is not a canonical decimal (kept as it is). */
const exactNs = (t: string): bigint | undefined => (DECIMAL.test(t) ? BigInt(t) : undefined);

/** The offset `d` of time `t` as a number when exact, else `t` itself. */
function exactOr(d: bigint, t: string): CTime {
  const n = Number(d);
  return Number.isSafeInteger(n) ? n : t;
}

/** `t − from` as a number when exact, else `t` itself. */
function offset(t: string, from: bigint | undefined): CTime {
  const ns = from === undefined ? undefined : exactNs(t);
  return ns === undefined ? t : exactOr(ns - from!, t);
}

function offsetNs(c: number, where: string): bigint {
  if (!Number.isSafeInteger(c)) throw new Error(`${where}: offset ${c} is not an integer`);
  return BigInt(c);
}

const absolute = (c: CTime, from: () => bigint, where: string): string => (typeof c === 'string' ? c : (from() + offsetNs(c, where)).toString());

/** A signed ns string as a number when that is exact ("-0" and "007" stay strings). */
function nsNumber(s: string): CTime {
  const n = Number(s);
  return Number.isSafeInteger(n) && String(n) === s ? n : s;
}

const nsString = (c: CTime): Nanos => (typeof c === 'number' ? String(c) : c) as Nanos;

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

/** The service a resource names: the value of its first service.name attribute, if a string. */
function namedService(attrs: readonly KeyValue[]): string | undefined {
  const value = attrs.find((a) => a.key === 'service.name')?.value;
  return value !== undefined && 'stringValue' in value ? value.stringValue : undefined;
}

function encResource(span: AssembledSpan): CResource {
  const r: CResource = { a: encAttrs(span.resource.attributes) };
  if (namedService(span.resource.attributes) !== span.service) r.s = span.service;
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

// Network legs are most of the annotations and follow from the times of a call's two spans, so
// they are left out where the reader finds the same (the writer checks that it does).

/**
 * The network legs assembly finds for the SERVER span `k` whose parent, in the same line, is a
 * CLIENT span of another service (see network-time.ts), from the written start offsets, durations
 * and skew shifts when they are all numbers.
 */
function derivedLegs(line: readonly CSpan[], k: number, service: (i: number) => string, skew: (i: number) => CTime | undefined): [number, number] | undefined {
  const c = line[k]!;
  const i = c.p;
  if (c.k !== SpanKind.SERVER || typeof i !== 'number') return undefined;
  const p = line[i];
  if (p === undefined || p.k !== SpanKind.CLIENT || service(i) === service(k)) return undefined;
  const cs = skew(k) ?? 0;
  const ps = skew(i) ?? 0;
  if (typeof c.b !== 'number' || typeof c.e !== 'number' || typeof p.b !== 'number' || typeof p.e !== 'number') return undefined;
  if (typeof cs !== 'number' || typeof ps !== 'number') return undefined;
  return [c.b + cs - (p.b + ps), p.b + p.e + ps - (c.b + c.e + cs)];
}

function encAnn(a: SpanAnnotations | undefined, legs: [number, number] | undefined): CAnn | false | undefined {
  if (a === undefined) return legs === undefined ? undefined : false;
  const c: CAnn = {};
  let derived = false;
  if (a.orphan !== undefined) c.o = a.orphan;
  if (a.skewNanos !== undefined) c.k = nsNumber(a.skewNanos);
  if (a.network !== undefined) {
    derived = legs !== undefined && a.network.requestNanos === String(legs[0]) && a.network.responseNanos === String(legs[1]);
    if (!derived) c.nt = [nsNumber(a.network.requestNanos), nsNumber(a.network.responseNanos)];
  } else if (legs !== undefined) c.nt = false;
  if (a.networkFailure !== undefined) c.nf = a.networkFailure;
  if (a.late !== undefined) c.l = a.late;
  if (a.warnings !== undefined) c.w = a.warnings;
  // nothing but derived legs: the reader derives them without a word
  return derived && Object.keys(c).length === 0 ? undefined : c;
}

function decAnn(c: CAnn | false | undefined, legs: [number, number] | undefined): SpanAnnotations | undefined {
  if (c === false || (c === undefined && legs === undefined)) return undefined;
  const nt = c?.nt === undefined ? legs : c.nt;
  // in the order assembly writes them
  const a: SpanAnnotations = {};
  if (c?.o !== undefined) a.orphan = c.o;
  if (c?.k !== undefined) a.skewNanos = nsString(c.k);
  if (nt) a.network = { requestNanos: nsString(nt[0]), responseNanos: nsString(nt[1]) };
  if (c?.nf !== undefined) a.networkFailure = c.nf;
  if (c?.l !== undefined) a.late = c.l;
  if (c?.w !== undefined) a.warnings = c.w;
  return a;
}

/** What the spans of one line are written against. */
interface LineContext {
  traceId: string;
  /** ns of the header's t0 (0 when it is not a decimal) */
  base: bigint;
  /** index in the line by spanId, for parents */
  index: Map<string, number>;
}

function encSpan(s: AssembledSpan, line: LineContext, r: number, scope: number | undefined): CSpan {
  const start = exactNs(s.startTimeUnixNano);
  const b = start === undefined ? s.startTimeUnixNano : exactOr(start - line.base, s.startTimeUnixNano);
  const c: CSpan = { i: s.spanId, n: s.name, k: s.kind, r, b, e: offset(s.endTimeUnixNano, start) };
  if (s.traceId !== line.traceId) c.t = s.traceId;
  if (s.parentSpanId !== undefined) c.p = line.index.get(s.parentSpanId) ?? s.parentSpanId;
  if (s.traceState !== undefined) c.ts = s.traceState;
  if (s.flags !== undefined) c.f = s.flags;
  if (scope !== undefined) c.s = scope;
  if (s.attributes.length > 0) c.a = encAttrs(s.attributes);
  if (s.droppedAttributesCount !== undefined) c.da = s.droppedAttributesCount;
  if (s.events.length > 0) {
    c.ev = s.events.map((e) => {
      const ce: CEvent = { t: offset(e.timeUnixNano, start), n: e.name };
      if (e.attributes.length > 0) ce.a = encAttrs(e.attributes);
      if (e.droppedAttributesCount !== undefined) ce.d = e.droppedAttributesCount;
      return ce;
    });
  }
  if (s.droppedEventsCount !== undefined) c.de = s.droppedEventsCount;
  if (s.links.length > 0) {
    c.l = s.links.map((l) => {
      const cl: CLink = { i: l.spanId };
      if (l.traceId !== line.traceId) cl.t = l.traceId;
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
  return c;
}

/** A line of spans: interned resources and scopes, then the spans, then their annotations. */
function encLine(spans: readonly AssembledSpan[], context: LineContext, resources: Interner<CResource>, scopes: Interner<CScope>): CSpan[] {
  for (let k = spans.length - 1; k >= 0; k--) context.index.set(spans[k]!.spanId, k);
  const line: CSpan[] = new Array<CSpan>(spans.length);
  for (let k = 0; k < spans.length; k++) {
    const s = spans[k]!;
    // the service is part of a resource entry (it is normally its service.name, but not always)
    const r = resources.index(s.resource, s.service, () => encResource(s));
    const scope = s.scope;
    const si = scope === undefined ? undefined : scopes.index(scope, '', () => encScope(scope));
    line[k] = encSpan(s, context, r, si);
  }
  // network legs derive from the times of both spans of a call, in either order in the line
  const service = (i: number) => spans[i]!.service;
  const skew = (i: number) => {
    const shift = spans[i]!.ann?.skewNanos;
    return shift === undefined ? undefined : nsNumber(shift);
  };
  for (let k = 0; k < spans.length; k++) {
    const x = encAnn(spans[k]!.ann, derivedLegs(line, k, service, skew));
    if (x !== undefined) line[k]!.x = x;
  }
  return line;
}

/** The tables and context the span lines of one object are read against. */
interface Reading {
  version: 1 | 2;
  traceId: TraceId;
  base: bigint;
  services: string[];
  resources: Resource[];
  scopes: Scope[];
}

function decSpan(c: CSpan, line: readonly CSpan[], rd: Reading, where: string): AssembledSpan {
  const res = rd.resources[c.r];
  if (res === undefined) throw new Error(`${where}.r: no resource ${c.r}`);
  let startNs = typeof c.b === 'number' ? rd.base + offsetNs(c.b, `${where}.b`) : undefined;
  const start = startNs === undefined ? (c.b as string) : startNs.toString();
  // an absolute start is parsed only if the end or an event is an offset from it
  const fromStart = () => (startNs ??= BigInt(start));
  const s: AssembledSpan = {
    traceId: (c.t ?? rd.traceId) as TraceId,
    spanId: c.i as SpanId,
    name: c.n,
    kind: c.k as AssembledSpan['kind'],
    service: rd.services[c.r]!,
    resource: res,
    startTimeUnixNano: start as UnixNanos,
    endTimeUnixNano: absolute(c.e, fromStart, `${where}.e`) as UnixNanos,
    attributes: decAttrs(c.a, where),
    events: [],
    links: [],
    status: { code: (c.sc ?? 0) as AssembledSpan['status']['code'] },
  };
  if (typeof c.p === 'number') {
    const parent = line[c.p]?.i;
    if (typeof parent !== 'string') throw new Error(`${where}.p: no span ${c.p} in its line`);
    s.parentSpanId = parent as SpanId;
  } else if (c.p !== undefined) s.parentSpanId = c.p as SpanId;
  if (c.ts !== undefined) s.traceState = c.ts;
  if (c.f !== undefined) s.flags = c.f;
  if (c.s !== undefined) {
    const scope = rd.scopes[c.s];
    if (scope === undefined) throw new Error(`${where}.s: no scope ${c.s}`);
    s.scope = scope;
  }
  if (c.da !== undefined) s.droppedAttributesCount = c.da;
  if (c.ev !== undefined) {
    s.events = c.ev.map((e, k): SpanEvent => {
      const w = `${where}.events[${k}]`;
      const ev: SpanEvent = { timeUnixNano: absolute(e.t, fromStart, `${w}.t`) as UnixNanos, name: e.n, attributes: decAttrs(e.a, w) };
      if (e.d !== undefined) ev.droppedAttributesCount = e.d;
      return ev;
    });
  }
  if (c.de !== undefined) s.droppedEventsCount = c.de;
  if (c.l !== undefined) {
    s.links = c.l.map((l, k): SpanLink => {
      const link: SpanLink = { traceId: (l.t ?? rd.traceId) as TraceId, spanId: l.i as SpanId, attributes: decAttrs(l.a, `${where}.links[${k}]`) };
      if (l.ts !== undefined) link.traceState = l.ts;
      if (l.d !== undefined) link.droppedAttributesCount = l.d;
      if (l.f !== undefined) link.flags = l.f;
      return link;
    });
  }
  if (c.dl !== undefined) s.droppedLinksCount = c.dl;
  if (c.sm !== undefined) s.status.message = c.sm;
  return s;
}

/** A line of spans; `first` is the number of spans in the lines before. */
function decLine(line: readonly CSpan[], rd: Reading, first: number): AssembledSpan[] {
  const service = (i: number) => rd.services[line[i]!.r]!;
  const skew = (i: number) => {
    const x = line[i]!.x as CAnn | false | undefined;
    return x ? x.k : undefined;
  };
  const out: AssembledSpan[] = new Array<AssembledSpan>(line.length);
  for (let k = 0; k < line.length; k++) {
    const c = line[k]!;
    const s = decSpan(c, line, rd, `trace object span ${first + k}`);
    if (rd.version === 1) {
      if (c.x !== undefined) s.ann = c.x as SpanAnnotations;
    } else {
      const ann = decAnn(c.x as CAnn | false | undefined, derivedLegs(line, k, service, skew));
      if (ann !== undefined) s.ann = ann;
    }
    out[k] = s;
  }
  return out;
}

// ---- header ----

function encHeader(head: TraceHead): Header {
  const s = head.summary;
  const h: Header = {
    f: FORMAT,
    v: VERSION,
    id: head.traceId,
    ver: head.version,
    n: head.spanCount,
    t0: s.startTimeUnixNano,
    dur: s.durationNanos,
    rs: s.rootService,
    ro: s.rootOperation,
    err: s.errorCount,
    orph: s.orphanCount,
    svc: s.services,
    rate: s.sampleRate,
  };
  if (head.warnings.length > 0) h.w = head.warnings;
  if (s.samplingReason !== undefined) h.why = s.samplingReason;
  if (!Object.is(s.adjustedCount, 1 / s.sampleRate)) h.adj = s.adjustedCount;
  if (s.traceId !== head.traceId) h.sid = s.traceId;
  if (s.spanCount !== head.spanCount) h.sn = s.spanCount;
  if (s.version !== head.version) h.sver = s.version;
  return h;
}

function decHeader(h: Header): TraceHead {
  const summary: TraceSummary = {
    traceId: h.sid ?? h.id,
    startTimeUnixNano: h.t0,
    durationNanos: h.dur,
    rootService: h.rs,
    rootOperation: h.ro,
    spanCount: h.sn ?? h.n,
    errorCount: h.err,
    orphanCount: h.orph,
    services: h.svc,
    sampleRate: h.rate,
    adjustedCount: h.adj ?? 1 / h.rate,
    version: h.sver ?? h.ver,
  };
  if (h.why !== undefined) summary.samplingReason = h.why;
  return { traceId: h.id, version: h.ver, summary, warnings: h.w ?? [], spanCount: h.n };
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
  const header = encHeader(head);
  const base = exactNs(header.t0) ?? 0n;
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
      const line = encLine(spans, { traceId: head.traceId, base, index: new Map() }, resources, scopes);
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

/** The head of a header line of either version. */
function readHeader(json: Json): { head: TraceHead; version: 1 | 2 } {
  const h = json as unknown as Header | HeaderV1;
  if (typeof h !== 'object' || h === null || Array.isArray(h) || h.f !== FORMAT) throw new Error(`trace object line 1.f: not an ${FORMAT} object`);
  if (h.v === 1) return { head: { traceId: h.traceId, version: h.version, summary: h.summary, warnings: h.warnings, spanCount: h.n }, version: 1 };
  if (h.v === VERSION) return { head: decHeader(h), version: VERSION };
  throw new Error(`trace object line 1.v: format version ${String((h as { v: unknown }).v)} is not supported (expected 1 or ${VERSION})`);
}

/**
 * Opens a stored trace (either format version): its head at once, its spans as chunks read on
 * demand (so a large trace can be served without holding it whole). The chunk generator throws if
 * the object is cut short.
 */
export async function openTrace(bytes: Uint8Array | ArrayBuffer): Promise<{ head: TraceHead; chunks: AsyncGenerator<AssembledSpan[]> }> {
  const it = lines(bytes);
  const first = await it.next();
  if (first.done) throw new Error('trace object: empty');
  const { head, version } = readHeader(parseLine(first.value, 1));

  async function* chunks(): AsyncGenerator<AssembledSpan[]> {
    const rd: Reading = {
      version,
      traceId: head.traceId,
      base: version === 1 ? 0n : (exactNs(head.summary.startTimeUnixNano) ?? 0n),
      services: [],
      resources: [],
      scopes: [],
    };
    let lineNo = 1;
    let count = 0;
    for await (const line of it) {
      lineNo++;
      const json = parseLine(line, lineNo);
      if (Array.isArray(json)) {
        const out = decLine(json as unknown as CSpan[], rd, count);
        count += out.length;
        yield out;
      } else if (json !== null && typeof json === 'object') {
        const t = json as unknown as TableLine;
        for (const r of t.res ?? []) {
          const where = `res[${rd.resources.length}]`;
          const res: Resource = { attributes: decAttrs(r.a, where) };
          if (r.d !== undefined) res.droppedAttributesCount = r.d;
          const service = r.s ?? namedService(res.attributes);
          if (service === undefined) throw new Error(`${where}.s: no service and no service.name attribute`);
          rd.services.push(service);
          rd.resources.push(res);
        }
        for (const c of t.scopes ?? []) {
          const sc: Scope = { name: c.n };
          if (c.v !== undefined) sc.version = c.v;
          if (c.a !== undefined) sc.attributes = decAttrs(c.a, `scopes[${rd.scopes.length}]`);
          if (c.d !== undefined) sc.droppedAttributesCount = c.d;
          rd.scopes.push(sc);
        }
      } else {
        throw new Error(`trace object line ${lineNo}: expected spans or a table`);
      }
    }
    if (count !== head.spanCount) throw new Error(`trace object: header announces ${head.spanCount} spans, found ${count}`);
  }
  return { head, chunks: chunks() };
}

export async function decodeTrace(bytes: Uint8Array | ArrayBuffer): Promise<AssembledTrace> {
  const { head, chunks } = await openTrace(bytes);
  const spans: AssembledSpan[] = [];
  for await (const chunk of chunks) for (const s of chunk) spans.push(s);
  return { traceId: head.traceId, version: head.version, spans, summary: head.summary, warnings: head.warnings };
}
