import { describe, expect, it } from 'vitest';
import { parseOtTraceState, withThreshold } from './tracestate';

describe('the ot entry of tracestate', () => {
  it('reads th and rv among other vendors, with optional whitespace', () => {
    const ts = parseOtTraceState('congo=t61rcWkgMzE, ot=th:c;rv:0123456789abcd;foo:bar ,rojo=00f067aa0ba902b7');
    expect(ts.th).toBe('c0000000000000');
    expect(ts.rv).toBe('0123456789abcd');
    expect(ts.thRate).toBe(0.25);
  });

  it('ignores malformed values and other vendors’ keys', () => {
    expect(parseOtTraceState('ot=th:XYZ;rv:12')).toEqual({ th: null, rv: null, thRate: 1 });
    expect(parseOtTraceState('vendor@ot=th:8')).toEqual({ th: null, rv: null, thRate: 1 });
    expect(parseOtTraceState(undefined)).toEqual({ th: null, rv: null, thRate: 1 });
    expect(parseOtTraceState('ot=rv:0123456789abcd').rv).toBe('0123456789abcd');
  });

  it('rewrites th, keeps the other fields and members, and puts ot first', () => {
    expect(withThreshold('a=1,ot=th:8;rv:0123456789abcd,b=2', 'e6666666666666' as never)).toBe(
      'ot=th:e6666666666666;rv:0123456789abcd,a=1,b=2',
    );
    expect(withThreshold(undefined, 'c0000000000000' as never)).toBe('ot=th:c');
    expect(withThreshold('ot=th:8,a=1', null)).toBe('a=1');
  });
});
