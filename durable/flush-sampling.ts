/**
 * The keep/drop decision a trace's Durable Object makes when it flushes, folded over the trace's
 * spans as they stream past (a 100,000-span trace is never held whole):
 * - head mode: the rules decided per span at the edge may have forwarded a trace only because some
 *   rule *might* keep it (`defer:`); with every span in hand, decide.ts gives the final answer;
 * - tail mode (`TAIL_PRESAMPLE_RATE` set): the tail policies decide, falling back to the head rate.
 * The rate of a kept trace becomes its index `sampleRate` (adjusted count = 1 / rate).
 */
import { TraceDecider, type SamplingConfig } from '../worker/sampling/decide';
import { forwardRate } from '../worker/sampling/decide';
import type { Span, TraceId } from '../worker/span/model';
import { TailAccumulator, type TailPolicy } from './tail-sampling';

export interface FlushDecision {
  keep: boolean;
  /** probability the trace was kept with; 0 when dropped */
  rate: number;
  /** the rule or policy that kept the trace, or why it was dropped (`drop:...`) */
  reason: string;
}

export class FlushSampler {
  private readonly head: TraceDecider;
  private readonly tail: TailAccumulator | null;

  constructor(
    private readonly cfg: SamplingConfig,
    policies: readonly TailPolicy[],
    traceId: TraceId,
  ) {
    this.head = new TraceDecider(cfg, traceId);
    this.tail = cfg.tailPresampleRate === undefined ? null : new TailAccumulator(policies, traceId);
  }

  add(span: Span): void {
    this.head.add(span);
    this.tail?.add(span);
  }

  decide(): FlushDecision {
    if (this.tail === null) {
      const d = this.head.decision();
      return { keep: d.keep, rate: d.keep ? d.rate : 0, reason: d.reason };
    }
    const d = this.tail.decide(this.head.headRate(), forwardRate(this.cfg));
    return { keep: d.keep, rate: d.rate, reason: d.policy === 'probabilistic' || d.policy.startsWith('drop:') ? d.policy : `policy:${d.policy}` };
  }
}

/** Passes spans through while the sampler looks at each. */
export async function* sampled<T extends Span>(spans: AsyncIterable<T>, sampler: FlushSampler): AsyncGenerator<T> {
  for await (const s of spans) {
    sampler.add(s);
    yield s;
  }
}
