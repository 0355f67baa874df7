import { describe, expect, it } from 'vitest';
import { diffTraces } from './trace-diff';
import { buildTraceView } from './trace-model';
import { miniTrace } from './test-support';

const a = buildTraceView(
  miniTrace([
    { id: '1', service: 'web', op: 'GET /', start: 0, dur: 100 },
    { id: '2', parent: '1', service: 'db', op: 'SELECT', start: 10, dur: 20 },
    { id: '3', parent: '1', service: 'cache', op: 'GET', start: 40, dur: 5 },
  ]),
);
const b = buildTraceView(
  miniTrace([
    { id: '1', service: 'web', op: 'GET /', start: 0, dur: 104 },
    { id: '2', parent: '1', service: 'db', op: 'SELECT', start: 10, dur: 20 },
    { id: '3', parent: '1', service: 'db', op: 'SELECT', start: 40, dur: 20 },
    { id: '4', parent: '1', service: 'auth', op: 'check', start: 70, dur: 5 },
  ]),
);

describe('diffTraces', () => {
  it('matches spans by call path and reports count and time changes', () => {
    const rows = diffTraces(a, b);
    const view = rows.map((r) => [r.path.join(' > '), r.countA, r.countB, r.status]);
    expect(view).toEqual([
      ['web:GET /', 1, 1, 'same'], // 4% slower is under the 10% tolerance
      ['web:GET / > db:SELECT', 1, 2, 'changed'],
      ['web:GET / > cache:GET', 1, 0, 'only-a'],
      ['web:GET / > auth:check', 0, 1, 'only-b'],
    ]);
    expect(rows[1]).toMatchObject({ totalA: 20, totalB: 40, depth: 1 });
  });
  it('a trace compared with itself has no differences', () => {
    expect(diffTraces(a, a).every((r) => r.status === 'same')).toBe(true);
  });
});
