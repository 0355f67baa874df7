/**
 * Who sent a span: the service instance named by its resource (OpenTelemetry resource semantic
 * conventions `service.instance.id`, `host.name` or `host.ip`, `telemetry.sdk.*`), and whether an
 * instance still counts as live. An instance with no `service.instance.id` is known by its host (its
 * name, else its address: Zipkin's local endpoint); with neither it is
 * the service's one "unknown" instance, so every span still lands in the registry.
 */
import type { InstanceStatus } from '../api-contract';
import type { AnyValue, KeyValue, Resource } from '../span/model';

export interface InstanceIdentity {
  service: string;
  id: string;
  host: string;
  sdk: string;
}

export type { InstanceStatus };

const UNKNOWN_INSTANCE = 'unknown';

function scalar(v: AnyValue | undefined): string {
  if (v === undefined) return '';
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  if ('boolValue' in v) return String(v.boolValue);
  return '';
}

function attr(attrs: readonly KeyValue[], key: string): string {
  for (const kv of attrs) if (kv.key === key) return scalar(kv.value).trim();
  return '';
}

/** "opentelemetry nodejs 2.12.1" from telemetry.sdk.name / .language / .version; '' when absent. */
export function sdkOf(resource: Resource): string {
  const a = resource.attributes;
  return [attr(a, 'telemetry.sdk.name'), attr(a, 'telemetry.sdk.language'), attr(a, 'telemetry.sdk.version')].filter((s) => s !== '').join(' ');
}

export function instanceOf(service: string, resource: Resource): InstanceIdentity {
  const host = attr(resource.attributes, 'host.name') || attr(resource.attributes, 'host.ip');
  const id = attr(resource.attributes, 'service.instance.id') || host || UNKNOWN_INSTANCE;
  return { service, id, host, sdk: sdkOf(resource) };
}

/** Live while it sent something within the last `ttlSeconds`. */
export function instanceStatus(lastSeenMs: number, nowMs: number, ttlSeconds: number): InstanceStatus {
  return nowMs - lastSeenMs <= ttlSeconds * 1000 ? 'live' : 'gone';
}
