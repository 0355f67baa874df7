/**
 * Command line of `npm run demo -- [--seconds N] [--target URL] [...]`, parsed into the demo's
 * options with the defaults the README promises. Throws a usage error naming the bad flag.
 */

export const USAGE = `usage: npm run demo -- [options]
  --seconds N        how long to send traffic (default 240)
  --target URL       the edgetrace edge to export to (default http://localhost:8787)
  --rate R           requests per second in the steady mix (default 4)
  --late-after S     how long the late span is held back (default: half the run, at most 120 s)
  --key KEY          ingest key sent as "Authorization: Bearer KEY" (default $EDGETRACE_INGEST_KEY)
  --sampling MODE    keep: stamp each trace's tracestate so any SAMPLE_RATE >= 0.0005 keeps it
                     natural: leave sampling to the edge (default keep)
  --report FILE      write the trace ids of every scenario to FILE (JSON)`;

/**
 * @param {string[]} argv
 * @param {Record<string, string | undefined>} env
 */
export function parseArgs(argv, env = {}) {
  const opts = {
    seconds: 240,
    target: 'http://localhost:8787',
    rate: 4,
    /** @type {number | null} */
    lateAfter: null,
    key: env.EDGETRACE_INGEST_KEY ?? '',
    sampling: 'keep',
    /** @type {string | null} */
    report: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = (min, max) => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return n;
    };
    switch (flag) {
      case '--seconds':
        opts.seconds = number(1, 86_400);
        break;
      case '--target': {
        const raw = value();
        if (!/^https?:\/\/[^/]+/.test(raw)) throw new Error(`--target must be an http(s) URL, got ${JSON.stringify(raw)}`);
        opts.target = raw.replace(/\/+$/, '');
        break;
      }
      case '--rate':
        opts.rate = number(0.1, 200);
        break;
      case '--late-after':
        opts.lateAfter = number(0, 3600);
        break;
      case '--key':
        opts.key = value();
        break;
      case '--sampling': {
        const v = value();
        if (v !== 'keep' && v !== 'natural') throw new Error(`--sampling must be keep or natural, got ${JSON.stringify(v)}`);
        opts.sampling = v;
        break;
      }
      case '--report':
        opts.report = value();
        break;
      case '--help':
      case '-h':
        throw new Error('help');
      default:
        throw new Error(`unknown option ${JSON.stringify(argv[i])}`);
    }
  }
  const lateSeconds = opts.lateAfter ?? Math.min(120, Math.max(5, opts.seconds / 2));
  return { ...opts, lateSeconds };
}
