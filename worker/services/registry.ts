/**
 * `/api/registry`: every service with its instances, first and last seen (ms since the epoch), and
 * each instance live or gone by INSTANCE_TTL_SECONDS. Built from the D1 registry plus what the
 * shards hold but have not flushed yet, so an instance shows up within seconds of its first span.
 */
import type { RegistryInstance, RegistryService } from '../api-contract';
import { instanceStatus } from './instance';
import type { InstanceSeen } from './red-aggregate';

export type { RegistryInstance, RegistryService };

export interface ServiceSeen {
  name: string;
  firstSeenMs: number;
  lastSeenMs: number;
}

export function buildRegistry(services: readonly ServiceSeen[], instances: Iterable<InstanceSeen>, nowMs: number, ttlSeconds: number): RegistryService[] {
  const out = new Map<string, RegistryService>();
  const entry = (name: string, first: number, last: number): RegistryService => {
    let s = out.get(name);
    if (!s) out.set(name, (s = { service: name, firstSeen: first, lastSeen: last, instances: [] }));
    s.firstSeen = Math.min(s.firstSeen, first);
    s.lastSeen = Math.max(s.lastSeen, last);
    return s;
  };
  for (const s of services) entry(s.name, s.firstSeenMs, s.lastSeenMs);
  for (const i of instances) {
    entry(i.service, i.firstSeenMs, i.lastSeenMs).instances.push({
      id: i.id,
      host: i.host,
      sdk: i.sdk,
      status: instanceStatus(i.lastSeenMs, nowMs, ttlSeconds),
      firstSeen: i.firstSeenMs,
      lastSeen: i.lastSeenMs,
    });
  }
  for (const s of out.values()) s.instances.sort((a, b) => (a.status === b.status ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.status === 'live' ? -1 : 1));
  return [...out.values()].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}
