/**
 * The traffic the demo drives through the gateway: what a user population would send, with every
 * scenario the issue lists. The first seconds run each scenario once (so even a 20 s run shows them
 * all), then requests arrive at `rate` per second with a weighted mix, plus periodic ones: a
 * retried export every 20 s, a late span every 30 s, a large trace every 60 s.
 *
 * The client is the users' browser: not instrumented; the gateway's SERVER span is the root, and
 * it answers with the trace id.
 */

/** @typedef {'normal'|'slow'|'auth-error'|'server-error'|'unreachable'|'fan-out'|'retried-export'|'late-span'|'large'} Scenario */

/** What each scenario asks the gateway for. */
const REQUESTS = {
  normal: (u) => ({ path: `/users/${u}/profile`, token: `valid-${u}` }),
  slow: (u) => ({ path: `/users/${u}/profile?slow=1`, token: `valid-${u}` }),
  'auth-error': (u) => ({ path: `/users/${u}/profile`, token: `expired-${u}` }),
  'server-error': (u) => ({ path: `/users/${u}/profile?fail=1`, token: `valid-${u}` }),
  unreachable: (u) => ({ path: `/users/${u}/profile?unreachable=1`, token: `valid-${u}` }),
  'fan-out': (u) => ({ path: `/users/${u}/friends?count=${24 + Math.floor(Math.random() * 25)}`, token: `valid-${u}` }),
  'retried-export': (u) => ({ path: `/users/${u}/profile`, token: `valid-${u}` }),
  'late-span': (u) => ({ path: `/users/${u}/profile?late=1`, token: `valid-${u}` }),
  large: (u) => ({ path: `/reports/r-${u}/export?rows=${2000 + Math.floor(Math.random() * 1000)}`, token: `valid-${u}` }),
};

/** @type {[Scenario, number][]} weights of the steady mix */
const MIX = [
  ['normal', 70],
  ['slow', 8],
  ['auth-error', 8],
  ['server-error', 5],
  ['unreachable', 2],
  ['fan-out', 7],
];

/** Each scenario once, at these offsets (seconds) from the start. */
const OPENING = [
  [0.2, 'normal'],
  [0.6, 'fan-out'],
  [1.0, 'retried-export'],
  [1.4, 'late-span'],
  [1.8, 'auth-error'],
  [2.2, 'server-error'],
  [2.6, 'slow'],
  [3.0, 'unreachable'],
  [3.5, 'large'],
];

/** Periodic scenarios: [every seconds, scenario]. */
const PERIODIC = [
  [20, 'retried-export'],
  [30, 'late-span'],
  [60, 'large'],
];

function pick() {
  const total = MIX.reduce((t, [, w]) => t + w, 0);
  let r = Math.random() * total;
  for (const [s, w] of MIX) if ((r -= w) < 0) return s;
  return 'normal';
}

/**
 * Plans the whole run: [offset seconds, scenario] sorted by time. Pure apart from the random mix.
 * @returns {[number, Scenario][]}
 */
export function plan(seconds, rate) {
  /** @type {[number, Scenario][]} */
  const out = OPENING.filter(([t]) => t < seconds).map(([t, s]) => [t, s]);
  for (const [every, s] of PERIODIC) for (let t = every; t < seconds - 1; t += every) out.push([t, s]);
  for (let t = 4; t < seconds; t += 1 / rate) out.push([t, pick()]);
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Runs the plan against the gateway. `onResult` hears about each request as it completes.
 * @param {{ gatewayUrl: string, seconds: number, rate: number, onResult: (r: { scenario: Scenario, status: number, traceId: string, ms: number }) => void }} opts
 */
export async function drive(opts) {
  const start = performance.now();
  const inflight = new Set();
  let user = 1000;
  for (const [at, scenario] of plan(opts.seconds, opts.rate)) {
    const wait = start + at * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const req = REQUESTS[scenario](String(user++));
    const t0 = performance.now();
    const p = fetch(`${opts.gatewayUrl}${req.path}`, { headers: { authorization: `Bearer ${req.token}`, 'x-demo-scenario': scenario } })
      .then(async (res) => {
        const body = await res.json().catch(() => ({}));
        opts.onResult({ scenario, status: res.status, traceId: body.traceId ?? '', ms: performance.now() - t0 });
      })
      .catch((err) => opts.onResult({ scenario, status: 0, traceId: '', ms: performance.now() - t0, error: String(err) }))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all([...inflight]);
}
