/**
 * The services part of the configuration, read and validated once per request like worker/config.ts:
 * `INSTANCE_TTL_SECONDS` (default 300), after which an instance that sent nothing shows as gone.
 */
import { ConfigError } from '../config';

export interface ServicesConfig {
  instanceTtlSeconds: number;
}

export const defaultServicesConfig = { instanceTtlSeconds: 300 } as const satisfies ServicesConfig;

export function readServicesConfig(env: Record<string, unknown>): ServicesConfig {
  const raw = env.INSTANCE_TTL_SECONDS;
  if (raw === undefined || raw === null || raw === '') return defaultServicesConfig;
  const value = Number(String(raw).trim());
  if (!Number.isInteger(value) || value < 1 || value > 30 * 86_400)
    throw new ConfigError('INSTANCE_TTL_SECONDS', `must be a whole number of seconds from 1 to ${30 * 86_400}, got ${JSON.stringify(raw)}`);
  return { instanceTtlSeconds: value };
}
