import { describe, expect, it } from 'vitest';
import { alarmAction, alarmAfterBatch, alarmAfterFlush, retryDelayMs } from './assembler-state';

const t = { idleMs: 30_000, maxWaitMs: 300_000, lateWindowMs: 3_600_000 };

describe('alarmAction', () => {
  it('waits while the trace is still receiving spans', () => {
    expect(alarmAction({ now: 40_000, firstPendingAt: 0, lastReceivedAt: 20_000, lastFlushAt: null }, t)).toEqual({
      kind: 'wait',
      until: 50_000,
    });
  });
  it('flushes once the trace has been quiet for the idle time', () => {
    expect(alarmAction({ now: 50_000, firstPendingAt: 0, lastReceivedAt: 20_000, lastFlushAt: null }, t)).toEqual({
      kind: 'flush',
    });
  });
  it('flushes at the max wait even when spans keep coming', () => {
    expect(alarmAction({ now: 300_000, firstPendingAt: 0, lastReceivedAt: 299_000, lastFlushAt: null }, t)).toEqual({
      kind: 'flush',
    });
  });
  it('after a flush, keeps the spans for the late window, then forgets', () => {
    expect(alarmAction({ now: 1000, firstPendingAt: null, lastReceivedAt: 0, lastFlushAt: 500 }, t)).toEqual({
      kind: 'wait',
      until: 3_600_500,
    });
    expect(alarmAction({ now: 3_600_500, firstPendingAt: null, lastReceivedAt: 0, lastFlushAt: 500 }, t)).toEqual({
      kind: 'forget',
    });
  });
  it('a late span after a flush re-flushes after the idle time', () => {
    expect(
      alarmAction({ now: 100_000, firstPendingAt: 90_000, lastReceivedAt: 90_000, lastFlushAt: 10_000 }, t),
    ).toEqual({ kind: 'wait', until: 120_000 });
  });
});

describe('alarmAfterBatch', () => {
  it('sets the alarm when there is none', () => {
    expect(alarmAfterBatch(null, 1000, 1000, t)).toBe(31_000);
  });
  it('leaves an earlier alarm alone (it re-checks when it fires)', () => {
    expect(alarmAfterBatch(31_000, 20_000, 1000, t)).toBeNull();
  });
  it('moves a later alarm (the late-window alarm) forward for a late span', () => {
    expect(alarmAfterBatch(3_600_000, 20_000, 20_000, t)).toBe(50_000);
  });
  it('never schedules past the max wait', () => {
    expect(alarmAfterBatch(null, 299_000, 0, t)).toBe(300_000);
  });
});

describe('retryDelayMs', () => {
  it('backs off exponentially up to five minutes', () => {
    expect([1, 2, 3, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 300_000]);
  });
});

describe('alarmAfterFlush', () => {
  it('waits out the late-span window when nothing arrived during the write', () => {
    expect(alarmAfterFlush({ now: 10_000, firstPendingAt: null, lastReceivedAt: 9_000, lastFlushAt: 10_000 }, t)).toBe(10_000 + t.lateWindowMs);
  });

  it('flushes again after the idle delay when spans arrived during the write', () => {
    expect(alarmAfterFlush({ now: 10_000, firstPendingAt: 9_990, lastReceivedAt: 9_995, lastFlushAt: 10_000 }, t)).toBe(9_995 + t.idleMs);
  });

  it('fires at once when pending spans have waited past the longest wait', () => {
    expect(alarmAfterFlush({ now: 400_000, firstPendingAt: 1_000, lastReceivedAt: 399_999, lastFlushAt: 400_000 }, t)).toBe(400_000);
  });
});
