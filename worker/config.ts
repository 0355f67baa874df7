/**
 * Configuration in one place: the vars are read from `env` and validated once per request into a
 * typed Config that is passed down. No other module reads `env` on its own.
 */
import { parseTailPolicies, type TailPolicy } from '../durable/tail-sampling';
import { parseSamplingRules, type SamplingConfig } from './sampling/decide';

export interface Config {
  /** head sampling probability in [0, 1] (design default 0.001, the seed's 0.1%) */
  sampleRate: number;
  /** a trace is flushed once it has been quiet this long */
  traceIdleSeconds: number;
  /** ... or at the latest this long after its first span arrived */
  traceMaxWaitSeconds: number;
  /** spans arriving this long after a flush still re-flush the trace from DO storage */
  lateSpanWindowSeconds: number;
  /** how many trace Durable Objects the edge calls at once for one request */
  fanoutConcurrency: number;
}

export const defaultConfig = {
  sampleRate: 0.001,
  traceIdleSeconds: 30,
  traceMaxWaitSeconds: 300,
  lateSpanWindowSeconds: 3600,
  fanoutConcurrency: 16,
} as const satisfies Config;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type VarSource = Record<string, unknown>;

/** A numeric var, its fallback when unset, checked against its bounds with an error naming it. */
export function numberVar(
  env: VarSource,
  name: string,
  fallback: number,
  check: { min: number; max: number; integer?: boolean },
): number {
  const raw = env[name];
  if (raw === undefined || raw === null || String(raw).trim() === '') return fallback;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(value)) throw new ConfigError(name, `must be a number, got ${JSON.stringify(raw)}`);
  if (check.integer && !Number.isInteger(value)) throw new ConfigError(name, `must be a whole number, got ${value}`);
  if (value < check.min || value > check.max)
    throw new ConfigError(name, `must be between ${check.min} and ${check.max}, got ${value}`);
  return value;
}

/** Reads and validates the vars; throws ConfigError naming the variable when one is wrong. */
export function readConfig(env: VarSource): Config {
  const day = 86_400;
  return {
    sampleRate: numberVar(env, 'SAMPLE_RATE', defaultConfig.sampleRate, { min: 0, max: 1 }),
    traceIdleSeconds: numberVar(env, 'TRACE_IDLE_SECONDS', defaultConfig.traceIdleSeconds, { min: 0, max: day }),
    traceMaxWaitSeconds: numberVar(env, 'TRACE_MAX_WAIT_SECONDS', defaultConfig.traceMaxWaitSeconds, {
      min: 0,
      max: day,
    }),
    lateSpanWindowSeconds: numberVar(env, 'LATE_SPAN_WINDOW_SECONDS', defaultConfig.lateSpanWindowSeconds, {
      min: 0,
      max: 30 * day,
    }),
    fanoutConcurrency: numberVar(env, 'FANOUT_CONCURRENCY', defaultConfig.fanoutConcurrency, {
      min: 1,
      max: 256,
      integer: true,
    }),
  };
}

let rulesCache: { source: string; config: SamplingConfig } | null = null;

/**
 * The sampling configuration (SAMPLE_RATE, SAMPLING_RULES, TAIL_PRESAMPLE_RATE). Rules are parsed
 * once per distinct source string, not per request.
 */
export function samplingConfig(env: VarSource): SamplingConfig {
  const defaultRate = numberVar(env, 'SAMPLE_RATE', defaultConfig.sampleRate, { min: 0, max: 1 });
  const tailRaw = env.TAIL_PRESAMPLE_RATE;
  const tailPresampleRate =
    tailRaw === undefined || tailRaw === '' ? undefined : numberVar(env, 'TAIL_PRESAMPLE_RATE', 0, { min: 0, max: 1 });
  const rulesSource = typeof env.SAMPLING_RULES === 'string' ? env.SAMPLING_RULES : '';
  const key = `${defaultRate}|${tailPresampleRate}|${rulesSource}`;
  if (rulesCache?.source !== key) {
    let rules: SamplingConfig['rules'] = [];
    if (rulesSource.trim() !== '') {
      try {
        rules = parseSamplingRules(rulesSource);
      } catch (err) {
        throw new ConfigError('SAMPLING_RULES', err instanceof Error ? err.message : String(err));
      }
    }
    rulesCache = { source: key, config: { defaultRate, rules, ...(tailPresampleRate !== undefined ? { tailPresampleRate } : {}) } };
  }
  return rulesCache.config;
}

let policiesCache: { source: string; policies: TailPolicy[] } | null = null;

/** TAIL_POLICIES (used in tail mode only), parsed once per distinct source string. */
export function tailPolicies(env: VarSource): TailPolicy[] {
  const source = typeof env.TAIL_POLICIES === 'string' ? env.TAIL_POLICIES : '';
  if (policiesCache?.source !== source) {
    let policies: TailPolicy[] = [];
    if (source.trim() !== '') {
      try {
        policies = parseTailPolicies(source);
      } catch (err) {
        throw new ConfigError('TAIL_POLICIES', err instanceof Error ? err.message : String(err));
      }
    }
    policiesCache = { source, policies };
  }
  return policiesCache.policies;
}
