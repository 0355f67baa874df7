import { describe, expect, it } from 'vitest';
import { ConfigError } from './config';
import { PASS_START, planBatch, readRetentionConfig, retentionCutoff } from './retention-plan';

const DAY = 86_400_000;

describe('readRetentionConfig', () => {
  it('has the documented defaults and names a wrong var', () => {
    expect(readRetentionConfig({})).toEqual({ retentionDays: 30, batchSize: 500, maxBatches: 40 });
    expect(readRetentionConfig({ RETENTION_DAYS: '7', RETENTION_BATCH_SIZE: '2', RETENTION_MAX_BATCHES: '1' })).toEqual({
      retentionDays: 7,
      batchSize: 2,
      maxBatches: 1,
    });
    expect(() => readRetentionConfig({ RETENTION_BATCH_SIZE: '1001' })).toThrow(ConfigError);
    expect(() => readRetentionConfig({ RETENTION_DAYS: '0' })).toThrow(/^RETENTION_DAYS: /);
  });
});

describe('retentionCutoff', () => {
  it('is RETENTION_DAYS before now, in ms and µs', () => {
    expect(retentionCutoff(100 * DAY, 30)).toEqual({ ms: 70 * DAY, us: 70 * DAY * 1_000 });
  });
});

describe('planBatch', () => {
  const cutoff = retentionCutoff(100 * DAY, 30);
  const old = (id: string, day: number, writtenDay = day) => ({ traceId: id, startUs: day * DAY * 1_000, updatedAt: writtenDay * DAY });

  it('deletes traces whose start and last write are both past the cutoff', () => {
    const plan = planBatch([old('a', 10), old('b', 20), old('c', 30)], 3, cutoff);
    expect(plan.deleteIds).toEqual(['a', 'b', 'c']);
    expect(plan.next).toEqual({ afterStartUs: 30 * DAY * 1_000, afterTraceId: 'c' });
    expect(plan.passDone).toBe(false);
  });
  it('keeps an old-dated trace that was written recently, and steps over it', () => {
    const plan = planBatch([old('a', 10), old('skewed', 11, 99)], 2, cutoff);
    expect(plan.deleteIds).toEqual(['a']);
    expect(plan.next.afterTraceId).toBe('skewed');
  });
  it('ends the pass when the scan returns less than a full batch', () => {
    expect(planBatch([old('a', 10)], 2, cutoff)).toEqual({ deleteIds: ['a'], next: PASS_START, passDone: true });
    expect(planBatch([], 2, cutoff)).toEqual({ deleteIds: [], next: PASS_START, passDone: true });
  });
});
