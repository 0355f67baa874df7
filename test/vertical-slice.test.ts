/**
 * The whole path inside workerd: OTLP (protobuf, JSON, gzip) and Zipkin in through the real
 * Worker, one Durable Object per trace, R2 + D1 written by the alarm, Jaeger JSON back.
 */
import { SELF, env } from 'cloudflare:test';
import { BatchRecorder, ExplicitContext, Tracer as ZipkinTracer, jsonEncoder } from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';
import { describe, expect, it } from 'vitest';
import { getOtlp, otlpSpans } from './helpers/analysis';
import { BASE, getTrace, gzip, postOtlp, tagOf, waitForTrace } from './helpers/api';
import { recordProfileRequest, toJson, toProtobuf } from './helpers/otel';
import { randomHex } from './helpers/spans';

describe('OTLP/HTTP ingest to Jaeger query', () => {
  it('a protobuf trace from the real SDK comes back whole with attributes, events and status', async () => {
    const { traceId, spans } = recordProfileRequest();
    const res = await postOtlp(toProtobuf(spans));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');

    const t = await waitForTrace(traceId, 4);
    const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
    const root = byName['GET /users/profile']!;
    expect(t.processes[root.processID]?.serviceName).toBe('api-gateway');
    expect(tagOf(root, 'http.request.method')).toBe('GET');
    expect(tagOf(root, 'http.response.status_code')).toBe(200);
    expect(tagOf(root, 'app.ratio')).toBe(0.25);
    expect(tagOf(root, 'app.cached')).toBe(false);
    expect(tagOf(root, 'span.kind')).toBe('server');
    const validate = byName['validateToken']!;
    expect(t.processes[validate.processID]?.serviceName).toBe('auth');
    expect(tagOf(validate, 'error')).toBe(true);
    expect(tagOf(validate, 'otel.status_code')).toBe('ERROR');
    expect(validate.references[0]).toMatchObject({ refType: 'CHILD_OF', spanID: byName['POST auth/validate']!.spanID });
    expect(validate.logs[0]?.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'event', value: 'token.checked' }), expect.objectContaining({ key: 'token.valid', value: false })]),
    );
    const sdkRoot = spans.find((s) => s.name === 'GET /users/profile')!;
    expect(root.startTime).toBe(sdkRoot.startTime[0] * 1_000_000 + Math.floor(sdkRoot.startTime[1] / 1000));

    const row = await env.DB.prepare('SELECT * FROM traces WHERE trace_id = ?').bind(traceId).first<Record<string, unknown>>();
    expect(row).toMatchObject({ root_service: 'api-gateway', root_operation: 'GET /users/profile', span_count: 4, error_count: 1, version: 1 });
    expect(JSON.parse(row!.services as string)).toEqual({ 'api-gateway': 2, auth: 2 });
    const object = await env.TRACES.head(`traces/${traceId}`);
    expect(object?.size).toBeGreaterThan(0);
  });

  it('array, kvlist and bytes values, resource attributes and the scope survive to Jaeger JSON and to OTLP/JSON unchanged', async () => {
    const traceId = randomHex(16);
    const start = BigInt(Date.now() - 1000) * 1_000_000n;
    const resource = [
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'host.name', value: { stringValue: 'checkout-7f9c' } },
      { key: 'process.pid', value: { intValue: '4242' } },
      { key: 'deployment.tags', value: { arrayValue: { values: [{ stringValue: 'blue' }, { stringValue: 'canary' }] } } },
    ];
    const attributes = [
      { key: 'app.list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }, { boolValue: true }, { doubleValue: 1.5 }] } } },
      {
        key: 'app.map',
        value: {
          kvlistValue: {
            values: [
              { key: 'region', value: { stringValue: 'eu' } },
              { key: 'retries', value: { intValue: '3' } },
              { key: 'zones', value: { arrayValue: { values: [{ stringValue: 'b' }] } } },
            ],
          },
        },
      },
      // 0xdeadbeef
      { key: 'app.digest', value: { bytesValue: '3q2+7w==' } },
    ];
    const scope = { name: 'checkout-instrumentation', version: '2.1.0' };
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: resource },
          scopeSpans: [
            {
              scope,
              spans: [
                {
                  traceId,
                  spanId: randomHex(8),
                  name: 'place order',
                  kind: 2,
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + 5_000_000n),
                  attributes,
                },
              ],
            },
          ],
        },
      ],
    });
    expect((await postOtlp(body)).status).toBe(200);

    const t = await waitForTrace(traceId, 1);
    const span = t.spans[0]!;
    // Jaeger has no nested values: arrays and maps become JSON text, as the OTel Jaeger translator writes them.
    expect(span.tags).toEqual(
      expect.arrayContaining([
        { key: 'app.list', type: 'string', value: '["a",2,true,1.5]' },
        { key: 'app.map', type: 'string', value: '{"region":"eu","retries":3,"zones":["b"]}' },
        { key: 'app.digest', type: 'binary', value: '3q2+7w==' },
        { key: 'otel.scope.name', type: 'string', value: 'checkout-instrumentation' },
        { key: 'otel.scope.version', type: 'string', value: '2.1.0' },
      ]),
    );
    expect(t.processes[span.processID]).toEqual({
      serviceName: 'checkout',
      tags: [
        { key: 'host.name', type: 'string', value: 'checkout-7f9c' },
        { key: 'process.pid', type: 'int64', value: 4242 },
        { key: 'deployment.tags', type: 'string', value: '["blue","canary"]' },
      ],
    });

    const otlp = await getOtlp(traceId);
    expect(otlp.resourceSpans).toHaveLength(1);
    expect(otlp.resourceSpans[0]!.resource).toEqual({ attributes: resource });
    expect(otlp.resourceSpans[0]!.scopeSpans.map((s) => s.scope)).toEqual([scope]);
    const [stored] = otlpSpans(otlp);
    expect(stored?.attributes).toEqual(attributes);
  });

  it('gzip-compressed JSON is accepted and answered in JSON', async () => {
    const { traceId, spans } = recordProfileRequest();
    const res = await postOtlp(await gzip(toJson(spans)), { type: 'application/json', headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    await waitForTrace(traceId, 4);
  });

  it('a retried batch does not double the spans', async () => {
    const { traceId, spans } = recordProfileRequest();
    const body = toProtobuf(spans);
    expect((await postOtlp(body)).status).toBe(200);
    expect((await postOtlp(body)).status).toBe(200);
    const t = await waitForTrace(traceId, 4);
    expect(new Set(t.spans.map((s) => s.spanID)).size).toBe(4);
  });

  it('spans of one trace split across several requests end up in one trace', async () => {
    const { traceId, spans } = recordProfileRequest();
    for (const span of spans) expect((await postOtlp(toProtobuf([span]))).status).toBe(200);
    const t = await waitForTrace(traceId, 4);
    expect(t.spans.map((s) => s.operationName).sort()).toEqual(['GET /users/profile', 'POST auth/validate', 'SELECT users', 'validateToken']);
  });

  it('invalid spans are rejected with partial_success naming the place, valid ones are kept', async () => {
    const { traceId, spans } = recordProfileRequest();
    const json = JSON.parse(toJson(spans)) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = 'not-hex';
    const res = await postOtlp(JSON.stringify(json));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string | number; errorMessage: string } };
    expect(Number(body.partialSuccess.rejectedSpans)).toBe(1);
    expect(body.partialSuccess.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[0].traceId');
    await waitForTrace(traceId, 3);
  });

  it('answers 400 for an undecodable body and 415 for another content type', async () => {
    const bad = await postOtlp(new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(bad.status).toBe(400);
    const badJson = await postOtlp('{"resourceSpans": [', { type: 'application/json' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toMatch(/JSON/);
    const other = await postOtlp('hello', { type: 'text/plain' });
    expect(other.status).toBe(415);
  });

  it('an unknown trace is a 404 with errors', async () => {
    const { status, body } = await getTrace('0123456789abcdef0123456789abcdef');
    expect(status).toBe(404);
    expect(body).toMatchObject({ data: null, errors: [{ code: 404 }] });
  });
});

describe('Zipkin v2 ingest', () => {
  it('spans from the real Zipkin JS transport are answered 202 and assembled', async () => {
    const statuses: number[] = [];
    // The transport's runtime takes `fetchImplementation` (here: into workerd); its typings lag.
    const logger = new HttpLogger({
      endpoint: `${BASE}/api/v2/spans`,
      jsonEncoder: jsonEncoder.JSON_V2,
      httpInterval: 10,
      fetchImplementation: async (url: string, init: RequestInit) => {
        const res = await SELF.fetch(url, init);
        statuses.push(res.status);
        return res;
      },
    } as ConstructorParameters<typeof HttpLogger>[0]);
    const recorder = new BatchRecorder({ logger });
    const ctxImpl = new ExplicitContext();
    const frontend = new ZipkinTracer({ ctxImpl, recorder, localServiceName: 'frontend', traceId128Bit: true });
    let traceId = '';
    frontend.local('render page', () => {
      traceId = frontend.id.traceId;
      frontend.recordBinary('page', 'home');
      frontend.local('load user', () => frontend.recordMessage('cache miss'));
    });
    const t = await waitForTrace(traceId, 2);
    expect(statuses.every((s) => s === 202)).toBe(true);
    const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
    expect(t.processes[byName['render page']!.processID]?.serviceName).toBe('frontend');
    expect(tagOf(byName['render page']!, 'page')).toBe('home');
    expect(byName['load user']!.references[0]?.spanID).toBe(byName['render page']!.spanID);
    expect(byName['load user']!.logs.flatMap((l) => l.fields.map((f) => f.value))).toContain('cache miss');
  });

  it('refuses broken spans by index and field, keeps the valid ones (202), and answers 400 when none is valid', async () => {
    const traceId = '5b8efff798038103d2fffff3a1c0ffe1';
    const good = { traceId, id: '00000000000000a1', name: 'get /cart', timestamp: Date.now() * 1000, duration: 1200, localEndpoint: { serviceName: 'cart' } };
    const broken = { traceId, id: 'xyz', timestamp: Date.now() * 1000, localEndpoint: { serviceName: 'cart' } };
    const post = (spans: unknown[]) =>
      SELF.fetch(`${BASE}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
    const mixed = await post([broken, good]);
    expect(mixed.status).toBe(202);
    const body = (await mixed.json()) as { accepted: number; rejected: number; errors: string[] };
    expect(body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(body.errors[0]).toMatch(/^\[0\]\.id: /);
    const none = await post([broken]);
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ accepted: 0, rejected: 1 });
    const t = await waitForTrace(traceId, 1);
    expect(t.spans.map((s) => s.operationName)).toEqual(['get /cart']);
  });
});
