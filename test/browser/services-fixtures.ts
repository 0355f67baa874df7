/**
 * Deterministic answers of the services API (registry, service map, monitor-API series, operation
 * summaries) for the Services page screenshot: the fixture services (FIXTURE_SERVICES of
 * fixtures.ts, passed in) calling each other with shapes of traffic, a few failing calls and
 * instances that went away. Pure: same input, same data.
 */
const CALLS: Array<[string, string, number, number]> = [
  // parent, child, calls per second, error ratio
  ['frontend', 'api-gateway', 42, 0.002],
  ['api-gateway', 'checkout', 9, 0.012],
  ['api-gateway', 'search', 21, 0],
  ['api-gateway', 'users', 30, 0.001],
  ['checkout', 'payments', 8.5, 0.034],
  ['checkout', 'inventory', 17, 0],
  ['payments', 'postgres', 8.2, 0],
  ['inventory', 'postgres', 16, 0.004],
  ['users', 'postgres', 29, 0],
  ['search', 'users', 3.1, 0],
];

/** A smooth, seeded wobble so that sparklines look like traffic. */
const wave = (i: number, seed: number) => 1 + 0.18 * Math.sin(i / 6 + seed) + 0.07 * Math.sin(i * 1.7 + seed * 3);

export function servicesFixture(nowMs: number, services: readonly string[]) {
  const rateOf = (s: string) => (s === 'frontend' ? 44 : CALLS.filter((c) => c[1] === s).reduce((a, c) => a + c[2], 0));
  const errOf = (s: string) => {
    const into = CALLS.filter((c) => c[1] === s);
    const calls = into.reduce((a, c) => a + c[2], 0);
    return calls ? into.reduce((a, c) => a + c[2] * c[3], 0) / calls : 0.001;
  };
  const latencyOf = (s: string) => 2 + ((services.indexOf(s) * 7.3) % 40);
  const registry = services.map((s, k) => ({
    service: s,
    firstSeen: nowMs - 86_400_000 * (3 + k),
    lastSeen: nowMs - 2_000,
    instances: Array.from({ length: 1 + (k % 3) }, (_, i) => ({
      id: `${s}-${(0x3a7 * (k + 1) * (i + 3)).toString(16)}`,
      host: `${s}-${i}.prod.internal`,
      sdk: k % 2 ? 'opentelemetry/go 1.33.0' : 'opentelemetry/nodejs 2.2.0',
      status: i === 2 ? 'gone' : 'live',
      firstSeen: nowMs - 3_600_000 * (5 + i),
      lastSeen: i === 2 ? nowMs - 1_900_000 : nowMs - 1_000 * (2 + i),
    })),
  }));
  const serviceMap = CALLS.map(([parent, child, rate, err]) => ({
    parent, child, callCount: Math.round(rate * 3600), errorCount: Math.round(rate * 3600 * err), p50: latencyOf(child), p95: latencyOf(child) * 3.1,
  }));
  /** The monitor API's MetricFamily for the `service` params of a URL. */
  const family = (url: URL) => {
    const kind = url.pathname.split('/').pop();
    const lookback = Number(url.searchParams.get('lookback'));
    const step = Number(url.searchParams.get('step'));
    const end = Number(url.searchParams.get('endTs'));
    const q = Number(url.searchParams.get('quantile') ?? 0.95);
    const metrics = url.searchParams.getAll('service').map((s, k) => {
      const points = [];
      for (let t = end - lookback, i = 0; t <= end; t += step, i++) {
        const base = kind === 'calls' ? rateOf(s) : kind === 'errors' ? errOf(s) * (i % 17 === 5 ? 4 : 1) : latencyOf(s) * (q >= 0.99 ? 4.2 : q >= 0.95 ? 2.6 : 1);
        points.push({ gaugeValue: { doubleValue: base * wave(i, k) }, timestamp: new Date(t).toISOString() });
      }
      return { labels: [{ name: 'service_name', value: s }], metricPoints: points };
    });
    return { name: `service_${kind}`, type: 'GAUGE', help: '', metrics };
  };
  const summary = (service: string, lookbackMs: number) => {
    const ops = ['GET /api/orders', 'POST /api/orders', 'GetStock', 'Reserve', 'health'];
    return ops.map((operation, i) => {
      const calls = Math.round((rateOf(service) * lookbackMs) / 1000 / (i + 1.6));
      return { operation, spanKind: 'server', calls, errors: Math.round(calls * errOf(service) * (i === 1 ? 3 : 1)), p50: latencyOf(service) * (1 + i * 0.2), p95: latencyOf(service) * 2.7, p99: latencyOf(service) * 4.4 };
    });
  };
  return { registry, serviceMap, family, summary };
}
