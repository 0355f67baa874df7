import { describe, expect, it } from 'vitest';
import { envelope, makeTrace } from '../../../test/browser/fixtures';
import { validateNameList, validateSearchResponse, validateTraceResponse } from './api-validate';

describe('validateTraceResponse', () => {
  it('accepts the API envelope and keeps edgetrace annotations', () => {
    const r = validateTraceResponse(envelope(makeTrace({ spans: 30 })));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spans).toHaveLength(30);
    expect(r.value.spans[2]!.edgetrace?.skewUs).toBe(1500);
    expect(r.value.spans[1]!.edgetrace?.network).toEqual({ requestUs: 420, responseUs: 380 });
  });
  it('keeps how the trace was kept, and names a bad sampling field', () => {
    const t = { ...makeTrace({ spans: 3 }), sampling: { rate: 0.25, adjustedCount: 4, reason: 'policy:errors' } };
    const r = validateTraceResponse(envelope(t));
    expect(r.ok && r.value.sampling).toEqual({ rate: 0.25, adjustedCount: 4, reason: 'policy:errors' });
    const bad = { ...makeTrace({ spans: 3 }), sampling: { rate: 'high', adjustedCount: 4, reason: null } };
    expect(validateTraceResponse(envelope(bad))).toMatchObject({ ok: false, error: { path: 'data[0].sampling.rate' } });
  });
  it('names the field and place of a bad value', () => {
    const t = makeTrace({ spans: 5 });
    (t.spans[3] as unknown as Record<string, unknown>).startTime = 'soon';
    expect(validateTraceResponse(envelope(t))).toEqual({ ok: false, error: { path: 'data[0].spans[3].startTime', message: 'must be a finite number' } });
  });
  it('names nested places: a tag value, an event field, a reference', () => {
    const t = makeTrace({ spans: 12 });
    (t.spans[3]!.tags[1] as unknown as Record<string, unknown>).value = { nested: true };
    expect(validateTraceResponse(envelope(t))).toMatchObject({ ok: false, error: { path: 'data[0].spans[3].tags[1].value' } });
    const u = makeTrace({ spans: 12 });
    (u.spans[11]!.logs[0]!.fields[1] as unknown as Record<string, unknown>).key = 7;
    expect(validateTraceResponse(envelope(u))).toMatchObject({ ok: false, error: { path: 'data[0].spans[11].logs[0].fields[1].key' } });
    const w = makeTrace({ spans: 12 });
    (w.spans[4]!.references as unknown[])[0] = 'parent';
    expect(validateTraceResponse(envelope(w))).toMatchObject({ ok: false, error: { path: 'data[0].spans[4].references[0]', message: 'must be an object' } });
  });
  it('normalises absent lists to empty ones', () => {
    const t = makeTrace({ spans: 3 }) as unknown as { spans: Array<Record<string, unknown>> };
    t.spans[1]!.logs = null;
    delete t.spans[1]!.references;
    const r = validateTraceResponse(envelope(t as never));
    expect(r.ok && [r.value.spans[1]!.logs, r.value.spans[1]!.references]).toEqual([[], []]);
  });
  it('refuses a span whose process is missing', () => {
    const t = makeTrace({ spans: 5 });
    t.spans[1]!.processID = 'nope';
    expect(validateTraceResponse(envelope(t))).toMatchObject({ ok: false, error: { path: 'data[0].spans[1].processID' } });
  });
  it('turns a 404 envelope into an error naming it', () => {
    expect(validateTraceResponse({ data: null, errors: [{ code: 404, msg: 'trace not found' }] })).toEqual({ ok: false, error: { path: 'errors', message: '404 trace not found' } });
  });
});

describe('validateSearchResponse', () => {
  it('accepts summaries and the next cursor', () => {
    const r = validateSearchResponse({ data: [{ traceId: 'ab', startUs: 1, durationUs: 2, rootService: 's', rootOperation: 'o', spanCount: 3, errorCount: 1, orphanCount: 0, services: { s: 3 }, adjustedCount: 1, sampleRate: 1, version: 1 }], nextCursor: 'c2' });
    expect(r).toMatchObject({ ok: true, value: { nextCursor: 'c2', traces: [{ traceId: 'ab', services: { s: 3 } }] } });
  });
  it('names a bad summary field', () => {
    expect(validateSearchResponse({ data: [{ traceId: 5 }] })).toMatchObject({ ok: false, error: { path: 'data[0].traceId' } });
  });
});

describe('validateNameList', () => {
  it('accepts names and null data', () => {
    expect(validateNameList({ data: ['a', 'b'] })).toEqual({ ok: true, value: ['a', 'b'] });
    expect(validateNameList({ data: null })).toEqual({ ok: true, value: [] });
    expect(validateNameList({ data: [1] })).toMatchObject({ ok: false, error: { path: 'data[0]' } });
  });
});
