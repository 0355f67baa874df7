/**
 * The OpenTelemetry set-up each demo service gets: its own TracerProvider (resource: service name,
 * host, instance), a BatchSpanProcessor and the OTLP/HTTP protobuf exporter pointed at the edge,
 * plus the two faults the demo shows off, done where they happen in real life:
 *   - a clock that runs ahead: every span time of that service is taken from `svc.now()`;
 *   - an exporter that retries a batch whose answer it never saw (the batch is sent twice), and
 *     one whose spans arrive late (held back, then sent after the trace was written).
 * Context travels between services as W3C trace context, injected and extracted by the SDK's
 * propagator (see http.mjs).
 */
import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Installs the process-wide context manager and W3C propagator (once). */
export function installGlobals() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Attribute that marks spans the exporter re-sends (as after a lost acknowledgement). */
export const RESEND_ATTR = 'demo.exporter.resend';
/** Attribute that marks spans the exporter holds back and sends late. */
export const LATE_ATTR = 'demo.exporter.late';

const TWO_56 = 1n << 56n;

/**
 * Root sampler for `--sampling keep`: records every trace and stamps the W3C tracestate `ot`
 * entry with explicit randomness (`rv`) from the top 1/2000 of the 56-bit range, so consistent
 * probability sampling keeps the trace at any rate ≥ 0.0005 (the default SAMPLE_RATE is 0.001).
 * The edge reads `rv` in place of the traceId's low 56 bits; everything else is untouched.
 */
class KeepAllRootSampler {
  shouldSample() {
    const window = TWO_56 / 2000n;
    const offset = BigInt(`0x${randomBytes(8).toString('hex')}`) % window;
    const rv = (TWO_56 - 1n - offset).toString(16).padStart(14, '0');
    return { decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: new TraceState().set('ot', `rv:${rv}`) };
  }
  toString() {
    return 'KeepAllRootSampler';
  }
}

class AlwaysOnRootSampler {
  shouldSample() {
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }
  toString() {
    return 'AlwaysOnRootSampler';
  }
}

/**
 * Wraps the OTLP exporter with the two export faults. Spans marked LATE_ATTR are taken out of
 * their batch and exported `lateMs` later; a batch holding a span marked RESEND_ATTR is exported
 * a second time once the first export has finished (the edge must store its spans once).
 */
class FaultyExporter {
  /**
   * @param {import('@opentelemetry/sdk-trace-base').SpanExporter} inner
   * @param {{ lateMs: number, log: (line: string) => void }} opts
   */
  constructor(inner, opts) {
    this.inner = inner;
    this.lateMs = opts.lateMs;
    this.log = opts.log;
    /** @type {Set<ReturnType<typeof setTimeout>>} */
    this.timers = new Set();
    /** @type {Set<Promise<unknown>>} */
    this.pending = new Set();
    /** @type {Map<ReturnType<typeof setTimeout>, import('@opentelemetry/sdk-trace-base').ReadableSpan[]>} */
    this.held = new Map();
    /** what was sent: requests, spans in them, failed requests, re-sent batches, late spans */
    this.counts = { requests: 0, spans: 0, failed: 0, resent: 0, late: 0 };
  }

  /** Exports through the inner exporter as a promise of its result. */
  send(spans) {
    const p = new Promise((resolve) => this.inner.export(spans, resolve)).then((result) => {
      this.counts.requests++;
      this.counts.spans += spans.length;
      if (result.code !== ExportResultCode.SUCCESS) this.counts.failed++;
      return result;
    });
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
    return p;
  }

  export(spans, done) {
    const late = spans.filter((s) => s.attributes[LATE_ATTR] === true);
    const now = late.length === 0 ? spans : spans.filter((s) => s.attributes[LATE_ATTR] !== true);
    if (late.length > 0) this.holdBack(late);
    if (now.length === 0) {
      done({ code: ExportResultCode.SUCCESS });
      return;
    }
    const resend = now.some((s) => s.attributes[RESEND_ATTR] === true);
    this.send(now).then(async (result) => {
      if (resend && result.code === ExportResultCode.SUCCESS) {
        const again = await this.send(now);
        this.counts.resent++;
        this.log(`exporter re-sent a batch of ${now.length} spans (trace ${traceOf(now, RESEND_ATTR)}): ${again.code === ExportResultCode.SUCCESS ? 'accepted again' : 'failed'}`);
      }
      done(result);
    });
  }

  holdBack(spans) {
    const timer = setTimeout(() => this.release(timer), this.lateMs);
    this.timers.add(timer);
    this.held.set(timer, spans);
  }

  release(timer) {
    clearTimeout(timer);
    const spans = this.held.get(timer);
    this.timers.delete(timer);
    this.held.delete(timer);
    if (!spans) return Promise.resolve();
    this.counts.late += spans.length;
    return this.send(spans).then((r) =>
      this.log(`late span(s) of trace ${traceOf(spans, LATE_ATTR)} sent ${Math.round((Date.now() - spanEndMs(spans[0])) / 1000)} s after they ended: ${r.code === ExportResultCode.SUCCESS ? 'accepted' : `failed (${r.error?.message ?? 'error'})`}`),
    );
  }

  /** Sends whatever is still held back (late already: the trace was written long ago). */
  async releaseAll() {
    await Promise.all([...this.timers].map((t) => this.release(t)));
  }

  async forceFlush() {
    await Promise.all([...this.pending]);
    await this.inner.forceFlush?.();
  }

  async shutdown() {
    await this.releaseAll();
    await this.forceFlush();
    await this.inner.shutdown();
  }
}

/** An export error as one line (the SDK may reject with an array of errors). */
const describe = (err) => (Array.isArray(err) ? err : [err]).map((e) => e?.code ?? e?.message ?? String(e)).join(', ');
const traceOf = (spans, attr) => (spans.find((s) => s.attributes[attr] === true) ?? spans[0]).spanContext().traceId;
const spanEndMs = (span) => span.endTime[0] * 1000 + span.endTime[1] / 1e6;

/**
 * One service's telemetry. `now()` is its clock in epoch milliseconds (fractional): the real
 * clock plus `clockOffsetMs`; spans of a service are always started and ended with it.
 * @param {{ name: string, version?: string, target: string, headers?: Record<string,string>, clockOffsetMs?: number,
 *           keepAll: boolean, lateMs: number, log: (line: string) => void }} opts
 */
export function serviceTelemetry(opts) {
  const offset = opts.clockOffsetMs ?? 0;
  const instance = `${opts.name}-${randomBytes(3).toString('hex')}`;
  const exporter = new FaultyExporter(
    new OTLPTraceExporter({ url: `${opts.target.replace(/\/$/, '')}/v1/traces`, headers: opts.headers ?? {}, timeoutMillis: 30_000 }),
    { lateMs: opts.lateMs, log: opts.log },
  );
  const provider = new NodeTracerProvider({
    // the SDK's default resource brings telemetry.sdk.{name,language,version}, as in a real service
    resource: defaultResource().merge(resourceFromAttributes({
      'service.name': opts.name,
      'service.version': opts.version ?? '1.4.2',
      'service.instance.id': instance,
      'host.name': `${hostname()}-${opts.name}`,
      'deployment.environment.name': 'demo',
      ...(offset !== 0 ? { 'demo.clock_offset_ms': offset } : {}),
    })),
    sampler: new ParentBasedSampler({ root: opts.keepAll ? new KeepAllRootSampler() : new AlwaysOnRootSampler() }),
    // a large trace (thousands of spans) must not overflow the queue: the default (2048) drops spans
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 20_000, maxExportBatchSize: 512, scheduledDelayMillis: 500 })],
  });
  const tracer = provider.getTracer(`demo/${opts.name}`, '1.0.0');
  const now = () => performance.timeOrigin + performance.now() + offset;
  return {
    name: opts.name,
    tracer,
    now,
    /** Starts a span on this service's clock, as a child of `parent` (a Context). */
    startSpan(name, options, parent = context.active()) {
      return tracer.startSpan(name, { ...options, startTime: options?.startTime ?? now() }, parent ?? ROOT_CONTEXT);
    },
    /** Ends a span on this service's clock. */
    endSpan(span, at = now()) {
      span.end(at);
    },
    stats: () => ({ ...exporter.counts }),
    /** Flushes and stops; a failed export is reported (and counted in stats), not thrown. */
    async shutdown() {
      const report = (what) => (err) => opts.log(`${opts.name}: ${what} failed: ${describe(err)}`);
      await provider.forceFlush().catch(report('flushing spans'));
      await exporter.releaseAll();
      await provider.shutdown().catch(report('shutting the exporter down'));
    },
  };
}
