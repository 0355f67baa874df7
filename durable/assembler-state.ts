/**
 * The decisions of the TraceAssembler, as pure functions over its stored state: when to flush,
 * when to wait, when to forget. The Durable Object class only reads storage, calls these, and
 * acts on the answer — so every timing rule is unit-tested without a runtime.
 */

export interface AssemblerTimings {
  idleMs: number;
  maxWaitMs: number;
  lateWindowMs: number;
}

/** What the DO knows about its trace when the alarm fires. */
export interface AlarmFacts {
  now: number;
  /** receive time of the first span not yet written to R2 (null when everything is written) */
  firstPendingAt: number | null;
  /** receive time of the newest batch */
  lastReceivedAt: number | null;
  /** when the trace was last written (null before the first write) */
  lastFlushAt: number | null;
}

export type AlarmAction =
  | { kind: 'flush' }
  | { kind: 'wait'; until: number }
  | { kind: 'forget' };

/**
 * A trace is written once it has been quiet for `idleMs`, or at the latest `maxWaitMs` after its
 * first pending span. After a write the DO keeps the spans for `lateWindowMs` so that a late span
 * re-flushes from storage; then it forgets (deletes its storage).
 */
export function alarmAction(f: AlarmFacts, t: AssemblerTimings): AlarmAction {
  if (f.firstPendingAt !== null) {
    const quietAt = (f.lastReceivedAt ?? f.firstPendingAt) + t.idleMs;
    const due = Math.min(quietAt, f.firstPendingAt + t.maxWaitMs);
    return f.now >= due ? { kind: 'flush' } : { kind: 'wait', until: due };
  }
  if (f.lastFlushAt === null) return { kind: 'forget' };
  const forgetAt = f.lastFlushAt + t.lateWindowMs;
  return f.now >= forgetAt ? { kind: 'forget' } : { kind: 'wait', until: forgetAt };
}

/**
 * Where the alarm must be after a batch arrives. DO storage bills every `setAlarm()` as a row
 * write, so the alarm moves only when it would fire too late: an alarm already set earlier than
 * the flush time simply re-checks quietness when it fires (see alarmAction).
 */
export function alarmAfterBatch(
  current: number | null,
  now: number,
  firstPendingAt: number,
  t: AssemblerTimings,
): number | null {
  const due = Math.min(now + t.idleMs, firstPendingAt + t.maxWaitMs);
  if (current !== null && current <= due) return null;
  return due;
}

/** Backoff for a failed flush: 1 s, 2 s, 4 s ... capped at 5 minutes. */
export function retryDelayMs(failures: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.max(0, failures - 1));
}

/**
 * Where the alarm must be after a write. Spans may arrive while the write awaits R2 and D1; they
 * are pending again and must be written after the idle delay, not after the late-span window.
 */
export function alarmAfterFlush(f: AlarmFacts, t: AssemblerTimings): number {
  const action = alarmAction(f, t);
  return action.kind === 'wait' ? action.until : f.now;
}
