import { describe, expect, it } from 'vitest';
import { instanceOf, instanceStatus, sdkOf } from './instance';

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });

describe('service instance', () => {
  it('is named by service.instance.id, else host.name, else host.ip, else unknown', () => {
    expect(instanceOf('s', { attributes: [str('service.instance.id', 'pod-7'), str('host.name', 'node-1')] })).toMatchObject({ id: 'pod-7', host: 'node-1' });
    expect(instanceOf('s', { attributes: [str('host.name', 'node-1')] })).toMatchObject({ id: 'node-1', host: 'node-1' });
    expect(instanceOf('s', { attributes: [] })).toEqual({ service: 's', id: 'unknown', host: '', sdk: '' });
    expect(instanceOf('s', { attributes: [str('host.ip', '10.0.0.7')] })).toMatchObject({ id: '10.0.0.7', host: '10.0.0.7' });
    expect(instanceOf('s', { attributes: [{ key: 'service.instance.id', value: { intValue: '42' } }] }).id).toBe('42');
  });

  it('describes the SDK from the telemetry.sdk attributes it has', () => {
    expect(sdkOf({ attributes: [str('telemetry.sdk.name', 'opentelemetry'), str('telemetry.sdk.version', '1.2.3')] })).toBe('opentelemetry 1.2.3');
  });

  it('is live until INSTANCE_TTL_SECONDS have passed without a span', () => {
    expect(instanceStatus(1_000_000, 1_000_000 + 300_000, 300)).toBe('live');
    expect(instanceStatus(1_000_000, 1_000_000 + 300_001, 300)).toBe('gone');
  });
});
