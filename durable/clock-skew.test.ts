import { describe, expect, it } from 'vitest';
import { SpanKind } from '../worker/span/model';
import { adjustClockSkew, hostKey, skewFor } from './clock-skew';
import { buildTree } from './tree';
import { kv, span, str } from './test-spans';

const MS = 1e6;

function run(spans: Parameters<typeof buildTree>[0], max?: bigint) {
  const tree = buildTree(spans);
  const r = adjustClockSkew(tree, max);
  const shiftOf = (id: number) => r.shift[spans.findIndex((s) => s.spanId === String(id).padStart(16, '0'))]!;
  const warningOf = (id: number) => r.warnings.get(spans.findIndex((s) => s.spanId === String(id).padStart(16, '0')));
  return { r, shiftOf, warningOf };
}

describe('hostKey', () => {
  it('prefers host.id, then host.ip, then host.name, then service.instance.id, then the service', () => {
    expect(hostKey(span({ id: 1, start: 0, end: 1, host: 'n', resource: [kv('host.id', str('i')), kv('host.ip', str('10.0.0.1'))] }))).toBe('host:i');
    expect(hostKey(span({ id: 1, start: 0, end: 1, host: 'n', resource: [kv('host.ip', str('10.0.0.1'))] }))).toBe('host:10.0.0.1');
    expect(hostKey(span({ id: 1, start: 0, end: 1, host: 'n' }))).toBe('host:n');
    expect(hostKey(span({ id: 1, start: 0, end: 1, resource: [kv('service.instance.id', str('pod-7'))] }))).toBe('instance:pod-7');
    expect(hostKey(span({ id: 1, start: 0, end: 1, service: 'cart' }))).toBe('service:cart');
  });
});

describe('skewFor (Jaeger rule)', () => {
  it('leaves a child that fits inside its parent', () => expect(skewFor(0, 100, 10, 90)).toBe(0));
  it('centres a child that sticks out, splitting the latency evenly', () => expect(skewFor(0, 100, 50, 130)).toBe(10 - 50));
  it('only moves a longer child so it does not start before the parent', () => {
    expect(skewFor(100, 200, 50, 300)).toBe(50);
    expect(skewFor(100, 200, 150, 400)).toBe(0);
  });
});

describe('adjustClockSkew', () => {
  it('moves a child on a drifting host into its parent and its same-host descendants with it', () => {
    const spans = [
      span({ id: 1, host: 'a', start: 0, end: 100, kind: SpanKind.CLIENT }),
      // host b runs 500 ms ahead: its server span appears to start after the client ended
      span({ id: 2, parent: 1, host: 'b', start: 510, end: 590, kind: SpanKind.SERVER }),
      span({ id: 3, parent: 2, host: 'b', start: 520, end: 530 }),
      // back on host a: measured against its (adjusted) parent, it fits, so it keeps its own clock
      span({ id: 4, parent: 2, host: 'a', start: 30, end: 40 }),
    ];
    const { r, shiftOf, warningOf } = run(spans);
    expect(shiftOf(1)).toBe(0);
    expect(shiftOf(2)).toBe(-500 * MS);
    expect(shiftOf(3)).toBe(-500 * MS);
    expect(shiftOf(4)).toBe(0);
    expect(r.adjusted).toBe(2);
    expect(warningOf(2)).toMatch(/adjusted by -500ms .*host "b".*host "a"/);
    expect(warningOf(3)).toMatch(/adjusted by -500ms/);
    expect(warningOf(4)).toBeUndefined();
  });

  it('does not move children on the parent host, nor roots and orphans', () => {
    const spans = [
      span({ id: 1, host: 'a', start: 0, end: 10 }),
      span({ id: 2, parent: 1, host: 'a', start: 50, end: 60 }),
      span({ id: 3, parent: 'gone', host: 'b', start: 900, end: 950 }),
    ];
    const { r } = run(spans);
    expect(Array.from(r.shift)).toEqual([0, 0, 0]);
    expect(r.warnings.size).toBe(0);
  });

  it('skips a shift beyond the bound with a warning, and its host descendants stay unmoved', () => {
    const spans = [
      span({ id: 1, host: 'a', start: 0, end: 100 }),
      span({ id: 2, parent: 1, host: 'b', start: 7_200_000, end: 7_200_050 }),
      span({ id: 3, parent: 2, host: 'b', start: 7_200_010, end: 7_200_020 }),
    ];
    const { r, shiftOf, warningOf } = run(spans, 3_600_000_000_000n);
    expect(shiftOf(2)).toBe(0);
    expect(shiftOf(3)).toBe(0);
    expect(r.skipped).toEqual([{ index: 1, host: 'b', shiftNanos: (25 - 7_200_000) * MS }]);
    expect(warningOf(2)).toMatch(/exceeds the 1h bound: not adjusted/);
  });

  it('with a bound of 0, adjustment is disabled and says so', () => {
    const { r, warningOf } = run([span({ id: 1, host: 'a', start: 0, end: 100 }), span({ id: 2, parent: 1, host: 'b', start: 200, end: 250 })], 0n);
    expect(r.shift[1]).toBe(0);
    expect(warningOf(2)).toMatch(/disabled/);
  });

  it('measures a child against its parent as adjusted (shifts compose down a chain of hosts)', () => {
    const spans = [
      span({ id: 1, host: 'a', start: 0, end: 100 }),
      span({ id: 2, parent: 1, host: 'b', start: 1000, end: 1080 }), // → starts at 10
      span({ id: 3, parent: 2, host: 'c', start: 0, end: 60 }), // inside 10..90 after b's move? 0 < 10 → centre: 10 + 10 = 20
    ];
    const { shiftOf } = run(spans);
    expect(shiftOf(2)).toBe(-990 * MS);
    expect(shiftOf(3)).toBe(20 * MS);
  });
});
