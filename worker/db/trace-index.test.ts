/**
 * What TraceIndexAccumulator indexes of a trace, and its bounds: operations are capped, services
 * never are. The search cases run the real search on real SQLite with the real migrations.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../durable/assemble';
import { EPOCH_NS, span, TRACE_ID } from '../../durable/test-spans';
import { SpanKind, type Span } from '../span/model';
import { DEFAULT_INDEXED_TAG_KEYS } from '../query/search-config';
import { openLocalIndexDb } from '../query/search-local-db';
import { parseSearchQuery } from '../query/search-query';
import { operationTerm, serviceTerm, SEP } from '../query/search-terms';
import { searchIndex } from '../query/search';
import { MAX_OPERATION_TERMS, TraceIndexAccumulator } from './trace-index';

/** A batch job: `n` spans of `service`, each with an operation of its own, then the given spans. */
function hugeTrace(n: number, service: string, after: Span[] = []): Span[] {
  const spans = [span({ id: 1, start: 0, end: 10_000, service, name: 'run job' })];
  for (let i = 2; i <= n; i++) spans.push(span({ id: i, parent: 1, start: i, end: i + 1, service, name: `item ${i}` }));
  return [...spans, ...after];
}

const operationTerms = (acc: TraceIndexAccumulator) => acc.terms().filter((t) => t.startsWith(`o${SEP}`));

describe('TraceIndexAccumulator', () => {
  it('a service whose spans come after the operation cap still finds the trace', async () => {
    const late = [span({ id: 5001, parent: 1, start: 9000, end: 9500, service: 'mailer', name: 'send receipt', kind: SpanKind.CLIENT })];
    const trace = assemble({ traceId: TRACE_ID, spans: hugeTrace(2 * MAX_OPERATION_TERMS, 'batch', late), version: 1, sampleRate: 1 });
    const acc = new TraceIndexAccumulator().addAll(trace.spans);
    expect(acc.terms()).toEqual(expect.arrayContaining([serviceTerm('batch'), serviceTerm('mailer'), operationTerm('mailer', 'send receipt')]));
    // listed by /api/services and /api/services/mailer/operations
    expect(acc.operationRows(trace.summary).filter((r) => r.service === 'mailer')).toEqual([
      expect.objectContaining({ operation: 'send receipt', spanKind: 'client' }),
    ]);

    const local = openLocalIndexDb();
    await acc.write(local, trace.summary, 0);
    const nowUs = Number(EPOCH_NS / 1000n) + 60_000_000;
    const search = (query: string) =>
      searchIndex(local.db, parseSearchQuery(new URLSearchParams(`${query}&lookback=1h`), { nowUs, defaultLimit: 20, indexedTagKeys: DEFAULT_INDEXED_TAG_KEYS, native: true }));
    expect((await search('service=mailer')).traces.map((t) => t.traceId)).toEqual([TRACE_ID]);
    expect((await search('service=mailer&operation=send%20receipt')).traces.map((t) => t.traceId)).toEqual([TRACE_ID]);
    local.sqlite.close();
  });

  it('caps the operations of a trace at MAX_OPERATION_TERMS, keeping the first ones seen', () => {
    const trace = assemble({ traceId: TRACE_ID, spans: hugeTrace(2 * MAX_OPERATION_TERMS, 'batch'), version: 1, sampleRate: 1 });
    const acc = new TraceIndexAccumulator().addAll(trace.spans);
    const ops = operationTerms(acc);
    expect(ops).toHaveLength(MAX_OPERATION_TERMS);
    expect(ops).toContain(operationTerm('batch', 'run job'));
    expect(ops).not.toContain(operationTerm('batch', `item ${2 * MAX_OPERATION_TERMS}`));
    expect(acc.operationRows(trace.summary)).toHaveLength(MAX_OPERATION_TERMS);
  });

  it('past the cap a late service brings only its first operation; every service stays a term', () => {
    const services = Array.from({ length: 20 }, (_, i) => `worker-${i}`);
    const late = services.flatMap((service, i) => [
      span({ id: 10_000 + 2 * i, parent: 1, start: 100, end: 200, service, name: 'poll' }),
      span({ id: 10_001 + 2 * i, parent: 1, start: 200, end: 300, service, name: 'ack' }),
    ]);
    const acc = new TraceIndexAccumulator().addAll(hugeTrace(MAX_OPERATION_TERMS + 10, 'batch', late));
    const terms = acc.terms();
    for (const service of services) {
      expect(terms).toContain(serviceTerm(service));
      expect(terms).toContain(operationTerm(service, 'poll'));
      expect(terms).not.toContain(operationTerm(service, 'ack'));
    }
    expect(operationTerms(acc)).toHaveLength(MAX_OPERATION_TERMS + services.length);
  });
});
