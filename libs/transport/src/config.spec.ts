import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumerGroup, loadServiceConfig } from './config';

const base = { FTUNE_AUTH_TOKEN: 'a-token-of-24-characters', FTUNE_ARTIFACTS_DIR: '/srv/artifacts' };

describe('service configuration from the environment', () => {
  it('fills the chart defaults: port per service, local broker, ftune-<name>-server groups', () => {
    const c = loadServiceConfig('train', base);
    expect(c.port).toBe(50054);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(consumerGroup(c.kafka, 'train')).toBe('ftune-train-server');
    expect(c.kafka.sasl).toBeUndefined();
  });

  it('reads TLS, SASL and the port', () => {
    const c = loadServiceConfig('pipeline', {
      ...base,
      FTUNE_GRPC_PORT: '6000',
      FTUNE_KAFKA_BROKERS: 'k1:9093, k2:9093',
      FTUNE_KAFKA_SSL: 'true',
      FTUNE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      FTUNE_KAFKA_SASL_USERNAME: 'ftune',
      FTUNE_KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(c.port).toBe(6000);
    expect(c.kafka).toMatchObject({
      brokers: ['k1:9093', 'k2:9093'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'ftune' },
    });
  });

  it('names every problem at once', () => {
    expect(() =>
      loadServiceConfig('ingest', {
        FTUNE_GRPC_PORT: 'x',
        FTUNE_KAFKA_SSL: 'maybe',
        FTUNE_KAFKA_SASL_MECHANISM: 'plain',
      }),
    ).toThrow(/FTUNE_GRPC_PORT.*FTUNE_AUTH_TOKEN.*FTUNE_ARTIFACTS_DIR.*SASL_USERNAME.*FTUNE_KAFKA_SSL/s);
    expect(() => loadServiceConfig('nope', base)).toThrow(/unknown service "nope"/);
  });

  it('needs no token for a training job', () => {
    expect(loadServiceConfig('train', { FTUNE_ARTIFACTS_DIR: '/a' }, { requireAuth: false }).authToken).toBe(
      '',
    );
  });

  it('reads gRPC TLS files and the health port, and names each problem with them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-tls-config-'));
    const pemText = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'a.pem'), pemText);
    writeFileSync(join(dir, 'not.pem'), 'hello');
    const c = loadServiceConfig('ingest', {
      ...base,
      FTUNE_GRPC_TLS_CERT: join(dir, 'a.pem'),
      FTUNE_GRPC_TLS_KEY: join(dir, 'a.pem'),
      FTUNE_GRPC_TLS_CLIENT_CA: join(dir, 'a.pem'),
      FTUNE_HEALTH_PORT: '8086',
    });
    expect(c.grpcTls?.cert.toString()).toBe(pemText);
    expect(c.grpcTls?.clientCa).toBeDefined();
    expect(c.healthPort).toBe(8086);
    expect(loadServiceConfig('ingest', base).grpcTls).toBeUndefined();
    expect(() =>
      loadServiceConfig('ingest', {
        ...base,
        FTUNE_GRPC_TLS_CERT: join(dir, 'missing.pem'),
        FTUNE_GRPC_TLS_CLIENT_CA: join(dir, 'not.pem'),
        FTUNE_HEALTH_PORT: '50052',
      }),
    ).toThrow(
      /FTUNE_GRPC_TLS_CERT: cannot read .*missing\.pem \(ENOENT\).*FTUNE_GRPC_TLS_CLIENT_CA: .*not a PEM file.*give both or neither.*FTUNE_HEALTH_PORT: must differ/,
    );
  });
});
