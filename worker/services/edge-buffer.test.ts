import { describe, expect, it } from 'vitest';
import { EdgeBuffer } from './edge-buffer';
import type { MinuteDelta } from './red-aggregate';
import { RedAggregate } from './red-aggregate';
import { shardOf } from './shard';
import { testSpan } from './test-spans';

function harness(fail: (shard: number, attempt: number) => boolean = () => false) {
  const sent: { shard: number; deltas: MinuteDelta[]; windowId: string }[] = [];
  const attempts = new Map<number, string[]>();
  const errors: number[] = [];
  let wake: (() => void)[] = [];
  let now = 1_767_225_600_000;
  const buffer = new EdgeBuffer({
    lingerMs: 2000,
    now: () => now,
    sleep: () => new Promise<void>((r) => wake.push(r)),
    send: async (shard, deltas, windowId) => {
      const tries = [...(attempts.get(shard) ?? []), windowId];
      attempts.set(shard, tries);
      if (fail(shard, tries.length)) throw new Error('shard down');
      sent.push({ shard, deltas, windowId });
    },
    onError: (shard) => errors.push(shard),
    retryDelayMs: 0,
  });
  const tick = () => {
    const w = wake;
    wake = [];
    for (const r of w) r();
  };
  return { buffer, sent, errors, attempts, tick, advance: (ms: number) => (now += ms) };
}

const calls = (sent: { deltas: MinuteDelta[] }[]) => sent.flatMap((s) => s.deltas.flatMap((d) => d.groups)).reduce((n, g) => n + g.calls, 0);

describe('edge metrics buffer', () => {
  it('sends one request per shard per window, however many requests joined it', async () => {
    const h = harness();
    const services = ['checkout', 'cart', 'payments', 'auth', 'search'];
    const first = h.buffer.record([testSpan({ service: services[0] })]);
    for (let i = 1; i < 100; i++) await h.buffer.record([testSpan({ service: services[i % services.length]! })]);
    h.tick();
    await first;
    expect(h.sent.length).toBe(new Set(services.map(shardOf)).size);
    expect(calls(h.sent)).toBe(100);
  });

  it('opens a new window after one is sent', async () => {
    const h = harness();
    const a = h.buffer.record([testSpan()]);
    h.tick();
    await a;
    const b = h.buffer.record([testSpan(), testSpan()]);
    h.tick();
    await b;
    expect(h.sent.map((s) => s.deltas[0]!.groups[0]!.calls)).toEqual([1, 2]);
  });

  it('splits a window that spans a minute boundary into one delta per minute', async () => {
    const h = harness();
    const a = h.buffer.record([testSpan()]);
    h.advance(60_000);
    void h.buffer.record([testSpan()]);
    h.tick();
    await a;
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.deltas.map((d) => d.minute)).toEqual([29_453_760, 29_453_761]);
  });

  it('tries a failed send once more with the same window id, so the shard can count it once', async () => {
    const h = harness((_shard, attempt) => attempt === 1);
    const p = h.buffer.record([testSpan({ service: 'checkout' }), testSpan({ service: 'checkout' })]);
    h.tick();
    await p;
    expect(h.errors).toEqual([]);
    expect(calls(h.sent)).toBe(2);
    const tries = h.attempts.get(shardOf('checkout'))!;
    expect(tries).toHaveLength(2);
    expect(tries[1]).toBe(tries[0]);
    // the next window has an id of its own
    const q = h.buffer.record([testSpan({ service: 'checkout' })]);
    h.tick();
    await q;
    expect(h.sent[1]!.windowId).not.toBe(h.sent[0]!.windowId);
  });

  it('never rejects: a failed shard is reported and the others still get their spans', async () => {
    const down = shardOf('checkout');
    const h = harness((s) => s === down);
    const other = ['cart', 'payments', 'auth', 'search'].find((s) => shardOf(s) !== down)!;
    const p = h.buffer.record([testSpan({ service: 'checkout' }), testSpan({ service: other })]);
    h.tick();
    await expect(p).resolves.toBeUndefined();
    expect(h.errors).toEqual([down]);
    expect(h.sent.map((s) => s.shard)).toEqual([shardOf(other)]);
  });

  it('counts exactly what a single aggregate over all the spans counts', async () => {
    const h = harness();
    const spans = Array.from({ length: 300 }, (_, i) => testSpan({ service: `svc-${i % 13}`, name: `op-${i % 4}`, error: i % 9 === 0, durationMs: i }));
    const p = h.buffer.record(spans.slice(0, 100));
    void h.buffer.record(spans.slice(100));
    h.tick();
    await p;
    const got = new RedAggregate();
    for (const s of h.sent) for (const d of s.deltas) got.addDelta(d);
    const want = new RedAggregate();
    for (const s of spans) want.addSpan(s, 1_767_225_600_000);
    expect(new Map([...got.groups].sort())).toEqual(new Map([...want.groups].sort()));
  });
});
