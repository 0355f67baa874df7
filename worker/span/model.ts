/**
 * The one internal span model. OTLP and Zipkin decode into it; the Jaeger and OTLP outputs encode
 * from it. Nothing downstream of the decoders knows which wire format a span came in.
 *
 * Values keep the OTLP JSON shapes (AnyValue, KeyValue) so that every OTLP value type survives a
 * round trip without a second vocabulary. Timestamps are nanoseconds as decimal strings: a JS
 * number loses precision past 2^53 ns (about 104 days after the epoch), so arithmetic on them goes
 * through bigint (see `nanos.ts`).
 */

/** 32 lower-case hex characters, not all zero. */
export type TraceId = string & { readonly __brand: 'TraceId' };
/** 16 lower-case hex characters, not all zero. */
export type SpanId = string & { readonly __brand: 'SpanId' };
/** Nanoseconds since the Unix epoch as a decimal integer string. */
export type UnixNanos = string & { readonly __brand: 'UnixNanos' };
/** A signed duration in nanoseconds as a decimal integer string. */
export type Nanos = string & { readonly __brand: 'Nanos' };
/** Microseconds (Jaeger's unit), a safe JS integer. */
export type Micros = number & { readonly __brand: 'Micros' };

/** OTLP AnyValue as OTLP/JSON writes it: exactly one field is set. int64 travels as a string. */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  /** base64, as OTLP/JSON encodes bytes */
  | { bytesValue: string }
  /** an AnyValue with no field set (OTLP allows it) */
  | Record<string, never>;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** OTLP SpanKind numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP status codes. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface Scope {
  name: string;
  version?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanEvent {
  timeUnixNano: UnixNanos;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanLink {
  traceId: TraceId;
  spanId: SpanId;
  traceState?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface Span {
  traceId: TraceId;
  spanId: SpanId;
  parentSpanId?: SpanId;
  traceState?: string;
  flags?: number;
  name: string;
  kind: SpanKind;
  /** resource `service.name`; `unknown_service` when the resource has none (as the OTel SDKs do) */
  service: string;
  resource: Resource;
  scope?: Scope;
  startTimeUnixNano: UnixNanos;
  endTimeUnixNano: UnixNanos;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  events: SpanEvent[];
  droppedEventsCount?: number;
  links: SpanLink[];
  droppedLinksCount?: number;
  status: { code: StatusCode; message?: string };
}

/**
 * What assembly learns about a span, kept beside it (never by rewriting the original fields, so
 * the original timestamps survive).
 */
export interface SpanAnnotations {
  /** clock-skew shift applied to this span's times, in ns (positive moves it later) */
  skewNanos?: Nanos;
  /** human-readable warnings shown with the span (skew applied or skipped, invalid parent, ...) */
  warnings?: string[];
  /** set on a SERVER span whose CLIENT parent is in another service */
  network?: { requestNanos: Nanos; responseNanos: Nanos };
  /** a CLIENT span that failed and has no SERVER child: a likely network failure */
  networkFailure?: boolean;
  /** the span's parent never arrived */
  orphan?: boolean;
  /** the span arrived after the trace was first written */
  late?: boolean;
}

export interface AssembledSpan extends Span {
  ann?: SpanAnnotations;
}

/** The index row's content; also what /api/search returns per trace. */
export interface TraceSummary {
  traceId: TraceId;
  /** earliest adjusted span start */
  startTimeUnixNano: UnixNanos;
  durationNanos: Nanos;
  rootService: string;
  rootOperation: string;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  /** span count per service */
  services: Record<string, number>;
  /** the probability the trace was kept with (1 when unknown) */
  sampleRate: number;
  /** 1 / sampleRate: how many traces of the real traffic this one stands for */
  adjustedCount: number;
  /** the sampling rule or tail policy that kept the trace (`default`, `rule:x`, `policy:errors`, ...) */
  samplingReason?: string;
  version: number;
}

/** A finished trace as it is stored in R2. */
export interface AssembledTrace {
  traceId: TraceId;
  version: number;
  spans: AssembledSpan[];
  summary: TraceSummary;
  /** trace-level warnings (for example: missing parents, skew skipped) */
  warnings: string[];
}

/** A span the decoders refused, with the place it was found and why. */
export interface SpanRejection {
  /** where in the request, e.g. `resourceSpans[0].scopeSpans[1].spans[7].traceId` */
  path: string;
  message: string;
}

/** What every decoder returns: the spans it accepted and the ones it refused. */
export interface DecodeResult {
  spans: Span[];
  rejected: SpanRejection[];
  /** things the decoder accepted but the client should know (unknown fields ignored, ...) */
  warnings?: string[];
}
