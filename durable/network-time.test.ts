import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode } from '../worker/span/model';
import { adjustClockSkew } from './clock-skew';
import { networkTime } from './network-time';
import { buildTree } from './tree';
import { span } from './test-spans';

const MS = 1e6;

describe('networkTime', () => {
  it('records request and response legs on a SERVER span under a CLIENT of another service', () => {
    const tree = buildTree([
      span({ id: 1, service: 'web', start: 0, end: 100, kind: SpanKind.CLIENT }),
      span({ id: 2, parent: 1, service: 'api', start: 3, end: 96, kind: SpanKind.SERVER }),
    ]);
    const r = networkTime(tree, new Float64Array(2));
    expect(r.legs.get(1)).toEqual({ requestNanos: 3 * MS, responseNanos: 4 * MS });
    expect(r.failures).toEqual([]);
  });

  it('computes the legs on skew-adjusted times', () => {
    const tree = buildTree([
      span({ id: 1, service: 'web', host: 'a', start: 0, end: 100, kind: SpanKind.CLIENT }),
      span({ id: 2, parent: 1, service: 'api', host: 'b', start: 1000, end: 1080, kind: SpanKind.SERVER }),
    ]);
    const skew = adjustClockSkew(tree);
    // centred: 10 ms each way
    expect(networkTime(tree, skew.shift).legs.get(1)).toEqual({ requestNanos: 10 * MS, responseNanos: 10 * MS });
  });

  it('ignores SERVER spans of the same service or under a non-CLIENT parent', () => {
    const tree = buildTree([
      span({ id: 1, service: 'web', start: 0, end: 100, kind: SpanKind.CLIENT }),
      span({ id: 2, parent: 1, service: 'web', start: 3, end: 96, kind: SpanKind.SERVER }),
      span({ id: 3, service: 'web', start: 0, end: 100, kind: SpanKind.INTERNAL }),
      span({ id: 4, parent: 3, service: 'api', start: 3, end: 96, kind: SpanKind.SERVER }),
    ]);
    expect(networkTime(tree, new Float64Array(4)).legs.size).toBe(0);
  });

  it('flags a failed CLIENT span with no SERVER child, not one that was answered or did not fail', () => {
    const tree = buildTree([
      span({ id: 1, service: 'web', start: 0, end: 100, kind: SpanKind.CLIENT, status: StatusCode.ERROR }),
      span({ id: 2, parent: 1, service: 'web', start: 1, end: 2, kind: SpanKind.INTERNAL }),
      span({ id: 3, service: 'web', start: 0, end: 100, kind: SpanKind.CLIENT, status: StatusCode.ERROR }),
      span({ id: 4, parent: 3, service: 'api', start: 3, end: 96, kind: SpanKind.SERVER, status: StatusCode.ERROR }),
      span({ id: 5, service: 'web', start: 0, end: 100, kind: SpanKind.CLIENT }),
    ]);
    expect(networkTime(tree, new Float64Array(5)).failures).toEqual([0]);
  });

  it('does not flag a failed database call: databases have no SERVER spans', () => {
    const db = (key: string, id: number) =>
      span({ id, service: 'profile', start: 0, end: 10, kind: SpanKind.CLIENT, status: StatusCode.ERROR, attributes: [{ key, value: { stringValue: 'postgresql' } }] });
    const tree = buildTree([db('db.system.name', 1), db('db.system', 2), span({ id: 3, service: 'profile', start: 0, end: 10, kind: SpanKind.CLIENT, status: StatusCode.ERROR })]);
    expect(networkTime(tree, new Float64Array(3)).failures).toEqual([2]);
  });
});
