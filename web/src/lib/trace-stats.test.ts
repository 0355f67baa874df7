import { describe, expect, it } from 'vitest';
import { buildDag, layoutDag, NODE_W } from './trace-dag';
import { selfTime } from './self-time';
import { traceStats } from './trace-stats';
import { buildTraceView } from './trace-model';
import { miniTrace } from './test-support';

const view = buildTraceView(
  miniTrace([
    { id: 'a', service: 'web', op: 'GET /', start: 0, dur: 100 },
    { id: 'b', parent: 'a', service: 'db', op: 'SELECT', start: 10, dur: 30 },
    { id: 'c', parent: 'a', service: 'db', op: 'SELECT', start: 20, dur: 30, error: true },
    { id: 'd', parent: 'a', service: 'cache', op: 'GET', start: 90, dur: 30 },
  ]),
);

describe('selfTime', () => {
  it('counts overlapping children once and ignores time outside the parent', () => {
    // children cover [10,50] and [90,100] → 50µs covered
    expect(selfTime(view, 0)).toBe(50);
    expect(selfTime(view, 1)).toBe(30);
  });
});

describe('traceStats', () => {
  it('groups by service and operation with count, total, self time and errors', () => {
    const rows = traceStats(view, 'name');
    expect(rows.map((r) => [r.service, r.operation, r.count, r.totalUs, r.selfUs, r.errors])).toEqual([
      ['cache', 'GET', 1, 30, 30, 0],
      ['db', 'SELECT', 2, 60, 60, 1],
      ['web', 'GET /', 1, 100, 50, 0],
    ]);
    expect(traceStats(view, 'self')[0]!.service).toBe('db');
  });
});

describe('buildDag', () => {
  it('makes one node per service/operation and counts calls on edges', () => {
    const dag = buildDag(view);
    expect(dag.nodes.map((n) => [n.id, n.count, n.layer])).toEqual([
      ['web::GET /', 1, 0],
      ['db::SELECT', 2, 1],
      ['cache::GET', 1, 1],
    ]);
    expect(dag.edges).toEqual([
      { from: 'web::GET /', to: 'db::SELECT', count: 2, errors: 1 },
      { from: 'web::GET /', to: 'cache::GET', count: 1, errors: 0 },
    ]);
  });
  it('lays layers out left to right without overlaps', () => {
    const l = layoutDag(buildDag(view));
    const [web, db, cache] = l.nodes;
    expect(web!.x).toBe(0);
    expect(db!.x).toBeGreaterThan(NODE_W);
    expect(db!.x).toBe(cache!.x);
    expect(db!.y).not.toBe(cache!.y);
    expect(l.edges[0]).toMatchObject({ x1: NODE_W, x2: db!.x });
  });
});
