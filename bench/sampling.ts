/**
 * Sampling figures (issue 5):
 *   1. CPU per span of the edge decision (decideSpan) with 0, 10 and 100 rules, on spans that no
 *      rule matches (so every rule is tried: the worst case), and of decideBatch per span.
 *   2. The share of error traces kept under head-only sampling vs tail mode, on a synthetic
 *      workload with 1% error traces, with what each mode forwards to the DOs and how well the
 *      adjusted counts (1/rate) estimate the real number of error traces.
 * Run: node scripts/run-ts.mjs bench/sampling.ts   (about 10 s on the 2-core machine)
 */
import { decideTail, parseTailPolicies } from '../durable/tail-sampling';
import { decideBatch, decideSpan, decideTrace, forwardRate, traceHeadRate, type SamplingConfig } from '../worker/sampling/decide';
import { parseSamplingRules } from '../worker/sampling/rules';
import { makeSpan, randomTraceIds, str } from '../worker/sampling/test-spans';
import { SpanKind, StatusCode, type Span, type TraceId } from '../worker/span/model';

function rules(n: number, maxRate: number): SamplingConfig['rules'] {
  // A mix of the condition types; none matches the benchmark spans (service "frontend"), so
  // every rule is evaluated for every span.
  const list = Array.from({ length: n }, (_, i) => {
    switch (i % 4) {
      case 0:
        return { service: `svc-${i}`, rate: Math.min(0.5, maxRate) };
      case 1:
        return { service: 'frontend', operation: [`GET /r${i}`, `POST /r${i}`], rate: Math.min(0.2, maxRate) };
      case 2:
        return { kind: 'consumer', service: ['frontend', 'cart'], rate: Math.min(0.1, maxRate) };
      default:
        return { attributes: { 'http.route': `/r${i}`, 'customer.tier': 'gold' }, rate: maxRate };
    }
  });
  return parseSamplingRules(JSON.stringify(list));
}

function benchDecideSpan(ruleCount: number, defaultRate: number): { perSpan: number; perSpanBatch: number } {
  const ids = randomTraceIds(100_000);
  const spans = ids.map((traceId) =>
    makeSpan({
      traceId,
      service: 'frontend',
      name: 'GET /checkout',
      kind: SpanKind.SERVER,
      attributes: [str('http.route', '/checkout'), str('http.request.method', 'GET'), str('url.scheme', 'https')],
    }),
  );
  const cfg: SamplingConfig = { defaultRate, rules: rules(ruleCount, defaultRate) };
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += decideSpan(spans[i] as Span, cfg).forward ? 1 : 0; // warm-up
  const rounds = 10;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const s of spans) sink += decideSpan(s, cfg).forward ? 1 : 0;
  const t1 = process.hrtime.bigint();
  for (let r = 0; r < 3; r++) for (let i = 0; i < spans.length; i += 100) sink += decideBatch(spans.slice(i, i + 100), cfg).size;
  const t2 = process.hrtime.bigint();
  if (sink < 0) console.log(sink);
  return {
    perSpan: Number(t1 - t0) / (rounds * spans.length),
    perSpanBatch: Number(t2 - t1) / (3 * spans.length),
  };
}

interface Workload {
  traceId: TraceId;
  spans: Span[];
  error: boolean;
}

/** n traces of 3–8 spans over a few services; 1% of them have one span with status ERROR. */
function workload(n: number): Workload[] {
  const services = ['frontend', 'cart', 'payments', 'search', 'auth'];
  return randomTraceIds(n).map((traceId, i) => {
    const count = 3 + (i % 6);
    const error = i % 100 === 0;
    const spans = Array.from({ length: count }, (_, j) =>
      makeSpan({
        traceId,
        service: services[j % services.length] as string,
        kind: j === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
        status: { code: error && j === count - 1 ? StatusCode.ERROR : StatusCode.UNSET },
      }),
    );
    return { traceId, spans, error };
  });
}

function errorShare(traces: Workload[], headRate: number, presample: number) {
  const head: SamplingConfig = { defaultRate: headRate, rules: [] };
  const tail: SamplingConfig = { defaultRate: headRate, rules: [], tailPresampleRate: presample };
  const policies = parseTailPolicies('[{"type":"error"}]');
  const out = {
    errors: 0,
    head: { forwarded: 0, kept: 0, errorsKept: 0, errorEstimate: 0 },
    tail: { forwarded: 0, kept: 0, errorsKept: 0, errorEstimate: 0 },
  };
  for (const t of traces) {
    if (t.error) out.errors++;
    // head only: the edge forwards, the DO's flush decision is final
    if (decideBatch(t.spans, head).get(t.traceId)?.forward) {
      out.head.forwarded++;
      const d = decideTrace(t.spans, head);
      if (d.keep) {
        out.head.kept++;
        if (t.error) {
          out.head.errorsKept++;
          out.head.errorEstimate += 1 / d.rate;
        }
      }
    }
    // tail mode: the edge forwards the presample share, the DO applies the policies
    if (decideBatch(t.spans, tail).get(t.traceId)?.forward) {
      out.tail.forwarded++;
      const d = decideTail(t.spans, policies, traceHeadRate(t.spans, tail), forwardRate(tail), t.traceId);
      if (d.keep) {
        out.tail.kept++;
        if (t.error) {
          out.tail.errorsKept++;
          out.tail.errorEstimate += 1 / d.rate;
        }
      }
    }
  }
  return out;
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(2)}%`;

console.log('# edge sampling decision, CPU per span (Node, one core)');
console.log('rules | decideSpan, rates up to 1 (every span is matched) | decideSpan, all rates 0.001 (99.9% dropped before matching) | decideBatch (100 spans/batch), rates up to 1');
for (const n of [0, 10, 100]) {
  const all = benchDecideSpan(n, 1);
  // The edge matches rules only for traces whose R reaches the most permissive rule's threshold,
  // so with every rate at 0.001 almost every span is dropped before any rule is tried.
  const low = benchDecideSpan(n, 0.001);
  console.log(`${String(n).padStart(5)} | ${all.perSpan.toFixed(0).padStart(6)} ns | ${low.perSpan.toFixed(0).padStart(6)} ns | ${all.perSpanBatch.toFixed(0).padStart(6)} ns`);
}

const N = 300_000;
const headRate = 0.01;
const presample = 0.1;
const traces = workload(N);
const r = errorShare(traces, headRate, presample);
console.log('');
console.log(`# error traces kept: ${N} synthetic traces, ${r.errors} (1%) with an error; SAMPLE_RATE=${headRate}, TAIL_PRESAMPLE_RATE=${presample}, TAIL_POLICIES=[{"type":"error"}]`);
console.log('mode      | forwarded to DOs | kept (all) | error traces kept | error traces estimated from adjusted counts');
for (const [name, m] of [
  ['head-only', r.head],
  ['tail     ', r.tail],
] as const) {
  console.log(
    `${name} | ${pct(m.forwarded, N).padStart(16)} | ${pct(m.kept, N).padStart(10)} | ${`${m.errorsKept} (${pct(m.errorsKept, r.errors)})`.padStart(17)} | ${m.errorEstimate.toFixed(0)} (real ${r.errors})`,
  );
}
